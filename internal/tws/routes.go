package tws

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/executor"
	"github.com/resync/resync/internal/hwa"
)

func (s *Service) engine(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, "engine", s.o.TTL.Model, fetchEngine)
}

// fetchEngine reads what GET /engine answers (Warm reads it too).
func fetchEngine(ctx context.Context, c *hwa.Client) (any, error) { return c.EngineInfo(ctx) }

// workstationView adds what an operator asks first: is it online.
type workstationView struct {
	hwa.Workstation
	Online bool `json:"online"`
}

func views(ws []hwa.Workstation) []workstationView {
	out := make([]workstationView, len(ws))
	for i := range ws {
		out[i] = workstationView{ws[i], ws[i].Online()}
	}
	return out
}

func (s *Service) workstation(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["name"]
	if strings.Contains(name, "@") {
		badParam(w, "name", "a workstation name, without wildcards")
		return
	}
	s.serve(w, r, "workstation/"+name, s.o.TTL.JobStatus, func(ctx context.Context, c *hwa.Client) (any, error) {
		l, err := c.Workstations(ctx, hwa.NameFilter{Name: name}, hwa.Page{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(l.Results) == 0 {
			return nil, &hwa.Error{Kind: hwa.KindNotFound, Path: "plan/workstation", Detail: "not found"}
		}
		return views(l.Results)[0], nil
	})
}

// jobStatuses are the JobInPlanStatus values a status filter may take.
var jobStatuses = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`HOLD READY FENCE INTRO FAIL EXEC WAIT SUPPR END SUCC SUCCP ABEND
		CANCL CANCLP ABENP PEND SUSP STUCK EXTRN INTRPT COMPLT ERROR PENDPRED STARTED UNDCDED ARRVING NONREPPRED`) {
		jobStatuses[s] = true
	}
}

func (s *Service) jobs(w http.ResponseWriter, r *http.Request) {
	p, ok := paging(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := hwa.JobFilter{Status: strings.ToUpper(q.Get("status")), Workstation: q.Get("workstation"),
		JobStream: q.Get("jobstream"), Folder: q.Get("folder")}
	if f.Status != "" && !jobStatuses[f.Status] {
		badParam(w, "status", "not a job status (HOLD, READY, EXEC, SUCC, ABEND, CANCL, …)")
		return
	}
	for name, v := range map[string]string{"workstation": f.Workstation, "jobstream": f.JobStream, "folder": f.Folder, "q": q.Get("q")} {
		if len(v) > 256 {
			badParam(w, name, "longer than 256 characters")
			return
		}
	}
	if v := q.Get("q"); v != "" {
		f.Name = "@" + v + "@"
	}
	s.serve(w, r, jobsKey(p, f), s.o.TTL.JobStatus, func(ctx context.Context, c *hwa.Client) (any, error) {
		l, err := c.Jobs(ctx, f, p.Page)
		return p.page(r, l.Results, l.Count), err
	})
}

// jobsKey is the cache key of one page of a job list (Warm fills the first).
func jobsKey(p pageParams, f hwa.JobFilter) string {
	return "jobs?" + p.key() + "&" + url.Values{"s": {f.Status}, "w": {f.Workstation}, "j": {f.JobStream},
		"f": {f.Folder}, "n": {f.Name}}.Encode()
}

// flow answers a job's predecessors or successors from the dependency-graph
// index; a job the index does not hold (new since it was built, or
// unknown) is asked of the engine, which also says 404.
func (s *Service) flow(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := mux.Vars(r)["id"]
		depth, ok := intParam(w, r, "depth", 1, 1, 10)
		if !ok {
			return
		}
		if s.o.Client == nil {
			fail(w, r, s.o.Logger, errNoEngine)
			return
		}
		asked := time.Now()
		g, err := s.graph.Get()
		if errors.Is(err, executor.ErrBusy) {
			fail(w, r, s.o.Logger, err)
			return
		}
		if err == nil {
			if nodes, ok := g.walk(id, dir == "successors", depth); ok {
				s.writeGraph(w, r, g, asked, page{Data: nodes, Count: len(nodes)})
				return
			}
		}
		key := "job/" + id + "/" + dir + "?depth=" + strconv.Itoa(depth)
		s.serve(w, r, key, s.o.TTL.Graph, func(ctx context.Context, c *hwa.Client) (any, error) {
			var l hwa.List[hwa.FlowNode]
			var err error
			if dir == "predecessors" {
				l, err = c.Predecessors(ctx, id, depth)
			} else {
				l, err = c.Successors(ctx, id, depth)
			}
			return page{Data: l.Results, Count: l.Count}, err
		})
	}
}

// writeGraph answers p, read from index g: its meta is the plan's age, and
// its source where the index found the plan when this request built it (or
// when that was stale), else memory.
func (s *Service) writeGraph(w http.ResponseWriter, r *http.Request, g *graph, asked time.Time, p page) {
	frag, err := s.fragment(p)
	if err != nil {
		fail(w, r, s.o.Logger, err)
		return
	}
	src := cache.FromMemory
	if g.builtAt.After(asked) || g.source == cache.FromStale {
		src = g.source
	}
	writeCached(w, cache.Result{Value: frag, Source: src, FetchedAt: g.fetchedAt}, s.o.Simulated)
}

func (s *Service) jobLog(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	from, ok := intParam(w, r, "from_line", 0, 1, 1<<30)
	if !ok {
		return
	}
	to, ok := intParam(w, r, "to_line", 0, 1, 1<<30)
	if !ok {
		return
	}
	if from > 0 && to > 0 && to < from {
		badParam(w, "to_line", "must not be before from_line")
		return
	}
	if s.o.Client == nil {
		fail(w, r, s.o.Logger, errNoEngine)
		return
	}
	key := "tws:v1:job/" + id + "/log?" + strconv.Itoa(from) + "-" + strconv.Itoa(to)
	res, err := s.o.Cache.Get(r.Context(), key, s.o.TTL.JobLog, func(ctx context.Context) ([]byte, error) {
		text, err := s.o.Client.JobLog(ctx, id, hwa.LogRange{FromLine: from, ToLine: to})
		return []byte(text), noStaleFor(err)
	})
	if err != nil {
		fail(w, r, s.o.Logger, unwrapNoStale(err))
		return
	}
	writeText(w, res, s.o.Simulated)
}

// pageParams are a list route's limit and offset.
type pageParams struct{ hwa.Page }

const defaultLimit, maxLimit = 100, 1000

func paging(w http.ResponseWriter, r *http.Request) (pageParams, bool) {
	limit, ok := intParam(w, r, "limit", defaultLimit, 1, maxLimit)
	if !ok {
		return pageParams{}, false
	}
	offset, ok := intParam(w, r, "offset", 0, 0, 1_000_000)
	return pageParams{hwa.Page{Limit: limit, Offset: offset}}, ok
}

func (p pageParams) key() string {
	return "l=" + strconv.Itoa(p.Limit) + "&o=" + strconv.Itoa(p.Offset)
}

// page wraps results with count and links to the neighbouring pages.
func (p pageParams) page(r *http.Request, data any, count int) page {
	link := func(off int) *string {
		q := r.URL.Query()
		q.Set("limit", strconv.Itoa(p.Limit))
		q.Set("offset", strconv.Itoa(off))
		u := r.URL.Path + "?" + q.Encode()
		return &u
	}
	pg := page{Data: data, Count: count}
	if p.Offset+p.Limit < count {
		pg.Links.Next = link(p.Offset + p.Limit)
	}
	if p.Offset > 0 {
		pg.Links.Previous = link(max(p.Offset-p.Limit, 0))
	}
	return pg
}

// intParam reads an integer query parameter in [lo, hi], def when absent;
// otherwise it answers 400 naming the parameter.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		badParam(w, name, "must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		return 0, false
	}
	return n, true
}

// listRoute answers a page of what list reads, cached under name and the page.
func (s *Service) listRoute(name string, ttl time.Duration, list func(ctx context.Context, c *hwa.Client, p hwa.Page) (any, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := paging(w, r)
		if !ok {
			return
		}
		s.serve(w, r, name+"?"+p.key(), ttl, func(ctx context.Context, c *hwa.Client) (any, error) {
			data, count, err := list(ctx, c, p.Page)
			return p.page(r, data, count), err
		})
	}
}

// oneRoute answers the object one reads for the path's {id}.
func (s *Service) oneRoute(name string, ttl time.Duration, one func(ctx context.Context, c *hwa.Client, id string) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := mux.Vars(r)["id"]
		s.serve(w, r, name+"/"+id, ttl, func(ctx context.Context, c *hwa.Client) (any, error) { return one(ctx, c, id) })
	}
}
