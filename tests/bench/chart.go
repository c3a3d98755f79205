package main

import (
	"fmt"
	"strings"
)

// svg draws the steady-load medians as bars — requests/s, CPU per request
// and p99 latency, one panel each — so the README can show them. Written by
// hand: three bar panels do not warrant a plotting dependency.
func (r *results) svg() string {
	type panel struct {
		title string
		f     func(steadyResult) float64
		label func(float64) string
	}
	panels := []panel{
		{"requests/s (higher is better)", rps, func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"CPU per request, µs (lower is better)", cpuReq, func(v float64) string { return fmt.Sprintf("%.1f", v/1e3) }},
		{"latency p99, ms (lower is better)", p99, func(v float64) string { return fmt.Sprintf("%.2f", v/1e6) }},
	}
	colors := map[string]string{"resync": "#2b6cb0", "plain": "#718096", "gunicorn": "#c05621"}
	const pw, ph, top, barH, gap = 300, 150, 40, 28, 10
	width := len(panels) * (pw + 20)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, top+ph+50)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, p := range panels {
		x0 := i*(pw+20) + 10
		fmt.Fprintf(&b, `<text x="%d" y="20" font-weight="bold">%s</text>`+"\n", x0, p.title)
		hi := 0.0
		for _, s := range r.systems {
			hi = max(hi, med(r.steady[s.key], p.f))
		}
		for j, s := range r.systems {
			v := med(r.steady[s.key], p.f)
			w := 0.0
			if hi > 0 {
				w = v / hi * (pw - 70)
			}
			y := top + j*(barH+gap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%d" fill="%s"/>`+"\n", x0, y, w, barH, colors[s.key])
			fmt.Fprintf(&b, `<text x="%.0f" y="%d">%s</text>`+"\n", float64(x0)+w+4, y+barH/2+4, p.label(v))
		}
	}
	for j, s := range r.systems {
		x := 10 + j*250
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			x, top+ph+10, colors[s.key], x+16, top+ph+21, s.name)
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" fill="#555">median of %d rounds, %s; machine in docs/benchmarks.md</text>`+"\n", top+ph+42, r.rounds, r.machine.when.Format("2006-01-02"))
	b.WriteString("</svg>\n")
	return b.String()
}
