package hwa

import (
	"context"
	"net/url"
	"strconv"
)

// Page is one page of a list: Limit items from Offset (Limit 0 = the
// engine's default, 10000).
type Page struct {
	Limit  int
	Offset int
}

func (p Page) values(oql OQL) url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset > 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	if s := oql.String(); s != "" {
		q.Set("oql", s)
	}
	return q
}

// maxItems bounds a followed list, so that a misbehaving engine cannot make
// a client page forever.
const maxItems = 1_000_000

// list asks one page of a paginated list.
func list[T any](ctx context.Context, c *Client, path string, oql OQL, p Page) (List[T], error) {
	var l List[T]
	err := c.getJSON(ctx, path, p.values(oql), &l)
	return l, err
}

// all follows the pages of a list with limit/offset until every item is read.
func all[T any](ctx context.Context, c *Client, path string, oql OQL) ([]T, error) {
	var out []T
	for off := 0; ; {
		l, err := list[T](ctx, c, path, oql, Page{Limit: c.cfg.PageSize, Offset: off})
		if err != nil {
			return nil, err
		}
		out = append(out, l.Results...)
		off += len(l.Results)
		if len(l.Results) < c.cfg.PageSize || off >= l.Count && l.Count > 0 || off >= maxItems {
			return out, nil
		}
	}
}

// one asks a single object by id.
func one[T any](ctx context.Context, c *Client, path, id string) (*T, error) {
	var v T
	if err := c.getJSON(ctx, path+"/"+url.PathEscape(id), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// EngineInfo is engine/info.
func (c *Client) EngineInfo(ctx context.Context) (*EngineInfo, error) {
	var v EngineInfo
	if err := c.getJSON(ctx, "engine/info", nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Workstations is one page of plan/workstation.
func (c *Client) Workstations(ctx context.Context, f NameFilter, p Page) (List[Workstation], error) {
	return list[Workstation](ctx, c, "plan/workstation", f.OQL(), p)
}

// AllWorkstations is every workstation that f selects.
func (c *Client) AllWorkstations(ctx context.Context, f NameFilter) ([]Workstation, error) {
	return all[Workstation](ctx, c, "plan/workstation", f.OQL())
}

// Workstation is plan/workstation/{id}.
func (c *Client) Workstation(ctx context.Context, id string) (*Workstation, error) {
	return one[Workstation](ctx, c, "plan/workstation", id)
}

// Jobs is one page of plan/job.
func (c *Client) Jobs(ctx context.Context, f JobFilter, p Page) (List[Job], error) {
	return list[Job](ctx, c, "plan/job", f.OQL(), p)
}

// AllJobs is every plan job that f selects, following the pages.
func (c *Client) AllJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	return all[Job](ctx, c, "plan/job", f.OQL())
}

// Job is plan/job/{id}, with its runs.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	return one[Job](ctx, c, "plan/job", id)
}

// Predecessors are the flow nodes a job depends on, to depth levels (0 =
// the engine's default).
func (c *Client) Predecessors(ctx context.Context, jobID string, depth int) (List[FlowNode], error) {
	return c.flow(ctx, jobID, "predecessors", depth)
}

// Successors are the flow nodes that depend on a job.
func (c *Client) Successors(ctx context.Context, jobID string, depth int) (List[FlowNode], error) {
	return c.flow(ctx, jobID, "successors", depth)
}

func (c *Client) flow(ctx context.Context, jobID, dir string, depth int) (List[FlowNode], error) {
	q := url.Values{}
	if depth > 0 {
		q.Set("depth", strconv.Itoa(depth))
	}
	var l List[FlowNode]
	err := c.getJSON(ctx, "plan/job/"+url.PathEscape(jobID)+"/"+dir, q, &l)
	return l, err
}

// LogRange selects lines of a job log (1-based, inclusive; 0 = unbounded).
type LogRange struct {
	FromLine int
	ToLine   int
}

func (r LogRange) values(q url.Values) url.Values {
	if r.FromLine > 0 {
		q.Set("from_line", strconv.Itoa(r.FromLine))
	}
	if r.ToLine > 0 {
		q.Set("to_line", strconv.Itoa(r.ToLine))
	}
	return q
}

// JobLog is the log of a job's latest run, as text (plan/job/joblog with
// the job's id as OQL).
func (c *Client) JobLog(ctx context.Context, jobID string, r LogRange) (string, error) {
	q := r.values(url.Values{"oql": {OQL{}.Eq("id", jobID).String()}})
	res, err := c.get(ctx, "plan/job/joblog", q, "text/plain")
	if err != nil {
		return "", err
	}
	return string(res.body), nil
}

// RunLog is the log of one run, as text (plan/job/run/{run_id}/joblog).
func (c *Client) RunLog(ctx context.Context, runID string, r LogRange) (string, error) {
	res, err := c.get(ctx, "plan/job/run/"+url.PathEscape(runID)+"/joblog", r.values(url.Values{}), "text/plain")
	if err != nil {
		return "", err
	}
	return string(res.body), nil
}

// JobStreams is one page of plan/jobstream.
func (c *Client) JobStreams(ctx context.Context, f NameFilter, p Page) (List[JobStream], error) {
	return list[JobStream](ctx, c, "plan/jobstream", f.OQL(), p)
}

// AllJobStreams is every job stream that f selects.
func (c *Client) AllJobStreams(ctx context.Context, f NameFilter) ([]JobStream, error) {
	return all[JobStream](ctx, c, "plan/jobstream", f.OQL())
}

// JobStream is plan/jobstream/{id}.
func (c *Client) JobStream(ctx context.Context, id string) (*JobStream, error) {
	return one[JobStream](ctx, c, "plan/jobstream", id)
}

// Resources is one page of plan/resource.
func (c *Client) Resources(ctx context.Context, f NameFilter, p Page) (List[Resource], error) {
	return list[Resource](ctx, c, "plan/resource", f.OQL(), p)
}

// Resource is plan/resource/{id}.
func (c *Client) Resource(ctx context.Context, id string) (*Resource, error) {
	return one[Resource](ctx, c, "plan/resource", id)
}
