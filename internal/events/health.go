package events

// System health values.
const (
	Healthy  = "healthy"
	Degraded = "degraded"
	Critical = "critical"
)

// Health is the original's rule: critical when failed jobs reach
// max(10, 10 % of the jobs) or two workstations are not linked; degraded at
// max(5, 5 %) or one workstation not linked; healthy otherwise.
func Health(failed, jobs, unlinked int) string {
	switch {
	case failed >= 10 && failed*10 >= jobs || unlinked >= 2:
		return Critical
	case failed >= 5 && failed*20 >= jobs || unlinked == 1:
		return Degraded
	}
	return Healthy
}
