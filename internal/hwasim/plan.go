package hwasim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/resync/resync/internal/hwa"
)

// plan is the whole simulated plan; a Server guards it with its mutex.
type plan struct {
	rnd     *rand.Rand
	start   time.Time     // wall time of tick 0
	tickDur time.Duration // plan time one tick stands for
	tick    int
	day     int
	nextRun int

	workstations []hwa.Workstation
	wsIndex      map[string]int // by id and by name
	streams      []stream
	streamIndex  map[string]int
	jobs         []job
	jobIndex     map[string]int
	resources    []hwa.Resource
	resIndex     map[string]int
}

type stream struct {
	hwa.JobStream
	jobs []int
}

// job is a plan job with what the state machine needs besides the API view.
type job struct {
	hwa.Job
	ws        int   // index into workstations
	stream    int   // index into streams
	preds     []int // job indices this job waits for
	succs     []int
	schedTick int // HOLD until this tick
	duration  int // ticks an EXEC lasts
	endTick   int
	resource  int // -1 or index into resources
}

var (
	folders  = []string{"/FIN/", "/HR/", "/OPS/", "/SALES/", "/ERP/", "/DWH/"}
	apps     = []string{"PAYROLL", "BILLING", "LEDGER", "BACKUP", "ETL", "REPORT", "INVOICE", "STOCK", "CRM", "AUDIT"}
	wsTypes  = []string{"AGENT", "AGENT", "AGENT", "FTA", "POOL"}
	wsOSes   = []string{"LINUX", "LINUX", "UNIX", "AIX", "WINDOWS"}
	jobTasks = []string{"extract", "load", "transform", "report", "backup", "purge", "notify", "reconcile"}
)

// id makes a deterministic UUID-shaped id from the plan's random source.
func (p *plan) id() string {
	a, b := p.rnd.Uint64(), p.rnd.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// newPlan generates the plan: nJobs jobs in about nJobs/10 job streams on
// about nJobs/60 workstations (10..60).
func newPlan(seed uint64, nJobs int, tickDur time.Duration, start time.Time) *plan {
	p := &plan{
		rnd:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		start: start, tickDur: tickDur,
		wsIndex: map[string]int{}, streamIndex: map[string]int{}, jobIndex: map[string]int{}, resIndex: map[string]int{},
	}
	nWS := min(max(nJobs/60, 10), 60)
	nStreams := max(nJobs/10, 1)
	p.workstations = make([]hwa.Workstation, nWS)
	for i := range p.workstations {
		w := &p.workstations[i]
		w.ID = p.id()
		w.Name = fmt.Sprintf("%s_AG%02d", apps[i%len(apps)], i+1)
		w.Folder = "/"
		w.Key = w.Name
		w.Description = "simulated agent " + w.Name
		w.Type = wsTypes[p.rnd.IntN(len(wsTypes))]
		w.HostType = "WORKSTATION"
		w.OS = wsOSes[p.rnd.IntN(len(wsOSes))]
		w.NodeName = fmt.Sprintf("host%02d.example.com", i+1)
		w.TCPPort, w.SSLPort = 31111, 31113
		w.DomainName = "MASTERDM"
		w.Limit = 10 + p.rnd.IntN(90)
		w.AgentID = p.id()
		w.Version = "10.2.3"
		w.TimeStarted = start.UTC().Format(time.RFC3339)
		w.ActiveFlags = []string{"AUTO_LINK", "FULL_STATUS", "TCP_IP_LINK"}
		if i == 0 {
			w.Name, w.Type, w.HostType, w.Key = "MASTER", "MANAGER", "MASTER", "MASTER"
		}
		setLinked(w, p.rnd.IntN(20) != 0) // about one in twenty starts unlinked
		p.wsIndex[w.ID], p.wsIndex[w.Name] = i, i
	}
	p.resources = make([]hwa.Resource, max(nWS/2, 3))
	for i := range p.resources {
		r := &p.resources[i]
		r.ID = p.id()
		r.Name = fmt.Sprintf("%s_SLOTS", apps[i%len(apps)]) + fmt.Sprint(i/len(apps)+1)
		r.Folder = folders[i%len(folders)]
		r.Workstation = p.workstations[i%nWS].Name
		r.Description = "simulated resource"
		r.Quantity = 2 + p.rnd.IntN(8)
		p.resIndex[r.ID], p.resIndex[r.Name] = i, i
	}
	p.streams = make([]stream, nStreams)
	for i := range p.streams {
		s := &p.streams[i]
		app := apps[i%len(apps)]
		s.ID = p.id()
		s.Name = fmt.Sprintf("%s_%03d", app, i/len(apps)+1)
		s.OriginalJobStreamName = s.Name
		s.Folder = folders[i%len(folders)]
		s.Workstation = p.workstations[p.rnd.IntN(nWS)].Name
		s.Priority = 10 + p.rnd.IntN(90)
		s.Limit = 10
		s.Submitter = "planner"
		s.FlowNodeType = "JOBSTREAM"
		p.streamIndex[s.ID] = i
	}
	p.jobs = make([]job, nJobs)
	for i := range p.jobs {
		si := i % nStreams
		if nJobs >= nStreams {
			si = i * nStreams / nJobs // contiguous blocks: a stream's jobs are neighbours
		}
		s := &p.streams[si]
		j := &p.jobs[i]
		j.stream = si
		j.ws = p.rnd.IntN(nWS)
		j.ID = p.id()
		j.Name = fmt.Sprintf("%s_%s_%02d", s.Name, jobTasks[p.rnd.IntN(len(jobTasks))], len(s.jobs)+1)
		j.Folder = s.Folder
		j.Workstation = p.workstations[j.ws].Name
		j.WorkstationID = p.workstations[j.ws].ID
		j.JobStreamID, j.JobStreamName, j.JobStreamWorkstation = s.ID, s.Name, s.Workstation
		j.Key = j.Workstation + "#" + s.Name + "." + j.Name
		j.Position = len(s.jobs) + 1
		j.Priority = s.Priority
		j.TimeZone = "UTC"
		j.FlowNodeType = "JOB"
		j.JobDefinition = hwa.JobDefinition{Name: j.Name, Task: "/opt/jobs/" + app(j.Name) + ".sh", Command: false}
		j.JobOptions.Critical = p.rnd.IntN(30) == 0
		j.resource = -1
		if p.rnd.IntN(8) == 0 {
			j.resource = p.rnd.IntN(len(p.resources))
		}
		// Within the stream, most jobs wait for the one before; some streams'
		// first job waits for a job of an earlier stream.
		if len(s.jobs) > 0 && p.rnd.IntN(10) < 7 {
			p.link(i, s.jobs[len(s.jobs)-1], "INTERNAL")
		}
		if len(s.jobs) > 1 && p.rnd.IntN(10) == 0 {
			p.link(i, s.jobs[p.rnd.IntN(len(s.jobs)-1)], "INTERNAL")
		}
		if len(s.jobs) == 0 && si > 0 && p.rnd.IntN(4) == 0 {
			p.link(i, p.rnd.IntN(i), "EXTERNAL_JOB")
		}
		s.jobs = append(s.jobs, i)
		p.jobIndex[j.ID] = i
	}
	p.startDay()
	return p
}

func app(name string) string {
	for i := range name {
		if name[i] == '_' {
			return name[:i]
		}
	}
	return name
}

// link records that job i waits for job pred.
func (p *plan) link(i, pred int, kind string) {
	j, pj := &p.jobs[i], &p.jobs[pred]
	j.preds = append(j.preds, pred)
	pj.succs = append(pj.succs, i)
	j.Dependencies = append(j.Dependencies, hwa.Dependency{
		DependencyType: kind, ID: p.id(), DependencyStatus: "UNSATISFIED", Mandatory: true,
		DepSequence: len(j.Dependencies) + 1, JobID: pj.ID, JobName: pj.Name,
		JobStreamID: pj.JobStreamID, JobStreamName: pj.JobStreamName, JobStreamWorkstation: pj.JobStreamWorkstation,
	})
}

func setLinked(w *hwa.Workstation, linked bool) {
	if linked {
		w.ActiveStates = []string{"LINKED", "RUNNING", "JOBMAN_UP", "ONLINE"}
	} else {
		w.ActiveStates = []string{"ONLINE"}
	}
}

// at is the wall time of tick t.
func (p *plan) at(t int) string {
	return p.start.Add(time.Duration(t) * p.tickDur).UTC().Format(time.RFC3339)
}

// startDay (re)starts every job of the plan: HOLD, scheduled over the first
// 60 ticks of the day, no runs.
func (p *plan) startDay() {
	p.day++
	for i := range p.jobs {
		j := &p.jobs[i]
		j.schedTick = p.tick + p.rnd.IntN(60)
		j.duration = 1 + p.rnd.IntN(8)
		j.SchedTime = p.at(j.schedTick)
		j.EndTime = ""
		j.JobRuns = nil
		j.JobStatusFlags = hwa.JobStatusFlags{}
		for d := range j.Dependencies {
			j.Dependencies[d].Satisfied, j.Dependencies[d].DependencyStatus = false, "UNSATISFIED"
		}
		p.setStatus(i, "HOLD", "HOLD_WAITING_FOR_TIME")
	}
	for i := range p.streams {
		p.streams[i].SchedTime = p.at(p.tick)
		p.streams[i].ScheduledDate = p.start.Add(time.Duration(p.tick) * p.tickDur).UTC().Format("2006-01-02")
	}
	p.refreshStreams()
}
