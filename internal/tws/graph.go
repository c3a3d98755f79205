package tws

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/lazy"
)

// The dependency graph of the plan, indexed: every job's flow node and the
// jobs it waits for and that wait for it, so that predecessors and successors
// to any depth are answered from memory instead of one engine call per job,
// direction and depth.
//
// It is a lazy part (internal/lazy, "graph_index"): a worker that is never
// asked for dependencies never reads the whole plan for it. Its source, every
// job as a flow node, is one cache key ("graph", the dependency-graph TTL
// class) so that the plan is read once per TTL across workers and hosts; the
// index expires with that entry. Decoding and indexing run on the bounded
// executor.
type graph struct {
	nodes     []hwa.FlowNode
	index     map[string]int // job id → node
	preds     [][]int        // in each job's dependency order, as the engine lists them
	succs     [][]int        // in plan order
	fetchedAt time.Time
	source    cache.Source // where the build found the plan
	builtAt   time.Time
}

// graphKey is the cache key of the graph's source.
const graphKey = "tws:v1:graph"

// minGraphLife keeps an index built from an old or stale entry from being
// rebuilt on every request: it is kept at least this long.
const minGraphLife = 5 * time.Second

func (s *Service) newGraph() *lazy.Value[*graph] {
	return lazy.NewExpiring("graph_index", func() (*graph, time.Time, error) {
		g, err := s.buildGraph(context.Background())
		if err != nil {
			return nil, time.Time{}, err
		}
		return g, later(g.fetchedAt.Add(s.o.TTL.Graph), g.builtAt.Add(minGraphLife)), nil
	})
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// buildGraph reads the graph's source through the cache and indexes it.
func (s *Service) buildGraph(ctx context.Context) (*graph, error) {
	if s.o.Client == nil {
		return nil, errNoEngine
	}
	var fetched []hwa.FlowNode // set when this worker asked the engine: no need to decode what it just encoded
	res, err := s.o.Cache.Get(ctx, graphKey, s.o.TTL.Graph, func(ctx context.Context) ([]byte, error) {
		jobs, err := s.o.Client.AllJobs(ctx, hwa.JobFilter{})
		if err != nil {
			return nil, err
		}
		var b []byte
		err = s.o.Executor.Run(func() error {
			fetched = make([]hwa.FlowNode, len(jobs))
			for i := range jobs {
				fetched[i] = jobs[i].FlowNode()
			}
			b, err = json.Marshal(fetched)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("encode the dependency graph: %w", err)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	var g *graph
	err = s.o.Executor.Run(func() error {
		nodes := fetched
		if res.Source != cache.FromUpstream || nodes == nil {
			nodes = nil
			if err := json.Unmarshal(res.Value, &nodes); err != nil {
				return fmt.Errorf("decode the dependency graph: %w", err)
			}
		}
		g = indexGraph(nodes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.fetchedAt, g.source, g.builtAt = res.FetchedAt, res.Source, time.Now()
	return g, nil
}

func indexGraph(nodes []hwa.FlowNode) *graph {
	g := &graph{nodes: nodes, index: make(map[string]int, len(nodes)),
		preds: make([][]int, len(nodes)), succs: make([][]int, len(nodes))}
	for i := range nodes {
		g.index[nodes[i].ID] = i
	}
	for i := range nodes {
		for _, d := range nodes[i].Dependencies {
			p, ok := g.index[d.JobID]
			if d.JobID == "" || !ok {
				continue // a job-stream, file or resource dependency: no job node
			}
			g.preds[i] = append(g.preds[i], p)
			g.succs[p] = append(g.succs[p], i)
		}
	}
	return g
}

// walk lists the nodes depth levels up (predecessors) or down (successors)
// from job id, breadth first, each once; ok is false for a job not in the
// index (new since it was built, or unknown).
func (g *graph) walk(id string, successors bool, depth int) (out []hwa.FlowNode, ok bool) {
	start, ok := g.index[id]
	if !ok {
		return nil, false
	}
	seen := map[int]bool{start: true}
	level := []int{start}
	out = []hwa.FlowNode{}
	for d := 0; d < depth && len(level) > 0; d++ {
		var next []int
		for _, k := range level {
			edges := g.preds[k]
			if successors {
				edges = g.succs[k]
			}
			for _, e := range edges {
				if !seen[e] {
					seen[e] = true
					next = append(next, e)
					out = append(out, g.nodes[e])
				}
			}
		}
		level = next
	}
	return out, true
}
