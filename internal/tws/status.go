package tws

import (
	"context"
	"net/http"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/resync/resync/internal/hwa"
)

// Summary is what an operator looks at first.
type Summary struct {
	Engine       engineSummary  `json:"engine"`
	Workstations wsSummary      `json:"workstations"`
	Jobs         countSummary   `json:"jobs"`
	JobStreams   countSummary   `json:"jobstreams"`
	Abend        []abendSummary `json:"abend"`
}

type engineSummary struct {
	Version   string `json:"version"`
	Simulated bool   `json:"simulated"`
}

type wsSummary struct {
	Total        int      `json:"total"`
	Online       int      `json:"online"`
	Offline      int      `json:"offline"`
	OfflineNames []string `json:"offline_names"`
}

type countSummary struct {
	Total   int            `json:"total"`
	ByState map[string]int `json:"by_state"`
}

type abendSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	JobStream   string `json:"jobstream"`
	Workstation string `json:"workstation"`
	ReturnCode  *int   `json:"return_code"`
	EndTime     string `json:"end_time,omitempty"`
}

// maxAbend bounds the ABEND list of the summary.
const maxAbend = 200

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, "status", s.o.TTL.JobStatus, func(ctx context.Context, c *hwa.Client) (any, error) {
		var (
			info    *hwa.EngineInfo
			ws      []hwa.Workstation
			jobs    []hwa.Job
			streams []hwa.JobStream
		)
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { info, err = c.EngineInfo(ctx); return })
		g.Go(func() (err error) { ws, err = c.AllWorkstations(ctx, hwa.NameFilter{}); return })
		g.Go(func() (err error) { jobs, err = c.AllJobs(ctx, hwa.JobFilter{}); return })
		g.Go(func() (err error) { streams, err = c.AllJobStreams(ctx, hwa.NameFilter{}); return })
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var sum Summary
		err := s.o.Executor.Run(func() error {
			sum = summarize(info, ws, jobs, streams, s.o.Simulated)
			return nil
		})
		return sum, err
	})
}

func summarize(info *hwa.EngineInfo, ws []hwa.Workstation, jobs []hwa.Job, streams []hwa.JobStream, simulated bool) Summary {
	sum := Summary{
		Engine:       engineSummary{Version: info.DisplayVersion, Simulated: simulated},
		Workstations: wsSummary{Total: len(ws), OfflineNames: []string{}},
		Jobs:         countSummary{Total: len(jobs), ByState: map[string]int{}},
		JobStreams:   countSummary{Total: len(streams), ByState: map[string]int{}},
		Abend:        []abendSummary{},
	}
	for i := range ws {
		if ws[i].Online() {
			sum.Workstations.Online++
		} else {
			sum.Workstations.Offline++
			sum.Workstations.OfflineNames = append(sum.Workstations.OfflineNames, ws[i].Name)
		}
	}
	for i := range jobs {
		j := &jobs[i]
		sum.Jobs.ByState[j.Status()]++
		if j.Status() == "ABEND" {
			a := abendSummary{ID: j.ID, Name: j.Name, JobStream: j.JobStreamName, Workstation: j.Workstation, EndTime: j.EndTime}
			if run := j.LastRun(); run != nil {
				a.ReturnCode = run.ReturnCode
			}
			sum.Abend = append(sum.Abend, a)
		}
	}
	for i := range streams {
		sum.JobStreams.ByState[streams[i].CompositeStatus.Status]++
	}
	sort.Slice(sum.Abend, func(a, b int) bool { return sum.Abend[a].EndTime > sum.Abend[b].EndTime })
	if len(sum.Abend) > maxAbend {
		sum.Abend = sum.Abend[:maxAbend]
	}
	return sum
}
