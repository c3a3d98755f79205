package hwasim

import (
	"fmt"
	"time"

	"github.com/resync/resync/internal/hwa"
)

// commonStatus maps a job status to its CommonStatusV2.
var commonStatus = map[string]string{
	"HOLD": "WAITING", "READY": "READY", "EXEC": "RUNNING", "SUCC": "SUCCESSFUL",
	"ABEND": "ERROR", "CANCL": "CANCELED",
}

func terminal(status string) bool { return status == "SUCC" || status == "ABEND" || status == "CANCL" }

func (p *plan) setStatus(i int, status, sub string) {
	j := &p.jobs[i]
	cs := hwa.CompositeStatus{Status: status, Substatus: sub, Started: status == "EXEC",
		Error: status == "ABEND", Canceled: status == "CANCL"}
	j.LastRunCompositeStatus = cs
	j.LastRunCommonStatus = commonStatus[status]
	if r := j.LastRun(); r != nil {
		r.CompositeStatus, r.CommonStatus = cs, j.LastRunCommonStatus
	}
}

// step advances the plan one tick: the order of the random draws is fixed, so
// a seed and a number of ticks always give the same plan.
func (p *plan) step() {
	p.tick++
	for i := range p.workstations {
		if p.rnd.IntN(500) == 0 {
			w := &p.workstations[i]
			setLinked(w, !w.Online())
		}
	}
	done := 0
	for i := range p.jobs {
		j := &p.jobs[i]
		switch j.Status() {
		case "HOLD":
			if p.tick >= j.schedTick && p.predsDone(i) {
				p.setStatus(i, "READY", "")
			} else if p.tick >= j.schedTick {
				p.setStatus(i, "HOLD", "HOLD_WAITING_FOR_PREDECESSOR")
			}
		case "READY":
			if p.workstations[j.ws].Online() && p.rnd.IntN(2) == 0 {
				p.startRun(i)
			}
		case "EXEC":
			if p.tick >= j.endTick {
				switch n := p.rnd.IntN(100); {
				case n < 4:
					p.endRun(i, "ABEND", 1+p.rnd.IntN(16))
				case n < 5:
					p.endRun(i, "CANCL", -1)
				default:
					p.endRun(i, "SUCC", 0)
				}
			}
		case "ABEND":
			if p.rnd.IntN(300) == 0 { // now and then an operator reruns it
				j.JobStatusFlags.Restarted = true
				p.startRun(i)
			}
		}
		if terminal(j.Status()) {
			done++
		}
		if !terminal(j.Status()) && p.tick > j.schedTick+120 {
			j.JobStatusFlags.JobLate = true
		}
	}
	p.refreshStreams()
	if done*100 >= len(p.jobs)*95 {
		p.startDay()
	}
}

func (p *plan) predsDone(i int) bool {
	j := &p.jobs[i]
	ok := true
	for d, pi := range j.preds {
		sat := p.jobs[pi].Status() == "SUCC"
		j.Dependencies[d].Satisfied = sat
		j.Dependencies[d].DependencyStatus = map[bool]string{true: "SATISFIED", false: "UNSATISFIED"}[sat]
		ok = ok && sat
	}
	return ok
}

func (p *plan) startRun(i int) {
	j := &p.jobs[i]
	p.nextRun++
	j.JobRuns = append(j.JobRuns, hwa.JobRun{
		ID: fmt.Sprintf("%s-r%d", j.ID, len(j.JobRuns)+1), JobID: j.ID, JobNumber: 10000 + p.nextRun,
		ActualWorkstation: j.Workstation, RunAttempt: len(j.JobRuns) + 1, RerunType: rerunType(len(j.JobRuns)),
		SubmittedTime: p.at(p.tick),
		TimeInfo: hwa.TimeInfo{EstimatedDuration: isoDuration(time.Duration(j.duration) * p.tickDur),
			ActualStartTime: p.at(p.tick)},
	})
	j.endTick = p.tick + j.duration
	p.setStatus(i, "EXEC", "")
}

func rerunType(prev int) string {
	if prev == 0 {
		return ""
	}
	return "RERUN"
}

// endRun ends job i's current run; rc < 0 means no return code (cancelled).
func (p *plan) endRun(i int, status string, rc int) {
	j := &p.jobs[i]
	r := j.LastRun()
	if r == nil {
		p.startRun(i)
		r = j.LastRun()
	}
	if rc >= 0 {
		r.ReturnCode = &rc
	}
	r.TimeInfo.ActualEndTime = p.at(p.tick)
	r.TimeInfo.ElapsedTime = isoDuration(time.Duration(p.tick-j.endTick+j.duration) * p.tickDur)
	j.EndTime = p.at(p.tick)
	sub := ""
	if status == "SUCC" {
		sub = "SUCC_COMPLETED"
	}
	p.setStatus(i, status, sub)
}

// refreshStreams derives each job stream's status and stats from its jobs,
// and each resource's use from the jobs running with it.
func (p *plan) refreshStreams() {
	for si := range p.streams {
		s := &p.streams[si]
		var st hwa.JobStreamStats
		st.NumberOfJob = len(s.jobs)
		for _, i := range s.jobs {
			switch p.jobs[i].Status() {
			case "SUCC":
				st.NumberOfSuccessfulJob++
			case "EXEC":
				st.NumberOfExecutingJob++
			case "ABEND":
				st.NumberOfAbendedJob++
			case "CANCL":
				st.NumberOfFailedJob++
			default:
				st.NumberOfNotRunningJob++
			}
		}
		s.JobStreamStats = st
		status := "READY"
		switch {
		case st.NumberOfAbendedJob > 0:
			status = "ABEND"
		case st.NumberOfExecutingJob > 0:
			status = "EXEC"
		case st.NumberOfSuccessfulJob == st.NumberOfJob:
			status = "SUCC"
		case st.NumberOfNotRunningJob == st.NumberOfJob:
			status = "HOLD"
		}
		s.CompositeStatus.Status = status
		s.CommonStatus = commonStatus[status]
	}
	for ri := range p.resources {
		r := &p.resources[ri]
		r.Holders, r.QuantityInUse = nil, 0
	}
	for i := range p.jobs {
		j := &p.jobs[i]
		if j.resource >= 0 && j.Status() == "EXEC" {
			r := &p.resources[j.resource]
			r.Holders = append(r.Holders, hwa.ResourceHolder{JobID: j.ID, Job: j.Name, JobStream: j.JobStreamName, Quantity: 1})
			r.QuantityInUse++
		}
	}
	for ri := range p.resources {
		r := &p.resources[ri]
		r.QuantityAvailable = max(r.Quantity-r.QuantityInUse, 0)
		r.Status = "AVAILABLE"
		if r.QuantityAvailable == 0 {
			r.Status = "NOT_AVAILABLE"
		}
	}
}

// isoDuration formats d as ISO 8601 (PT5M30S).
func isoDuration(d time.Duration) string {
	s := int(d.Seconds())
	out := "PT"
	if h := s / 3600; h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m := s % 3600 / 60; m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	if sec := s % 60; sec > 0 || out == "PT" {
		out += fmt.Sprintf("%dS", sec)
	}
	return out
}

// abend makes job i ABEND now with rc (a run is started if it had none).
func (p *plan) abend(i, rc int) {
	if p.jobs[i].Status() != "EXEC" {
		p.startRun(i)
	}
	p.endRun(i, "ABEND", rc)
	p.refreshStreams()
}
