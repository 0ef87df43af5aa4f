// svg.go: a self-contained SVG drawing — no scripts, no fonts or styles
// from elsewhere — that any browser or image viewer shows.

package timeline

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Geometry of the drawing, in pixels.
const (
	svgCharW      = 6.7  // one character of 11 px monospace
	svgMinStep    = 22.0 // the least distance between two distinct times
	svgLabelStep  = 13.0 // between rotated labels at the same time on a lane
	svgMaxPlot    = 3200.0
	svgPad        = 24.0 // left of the plot
	svgPadRight   = 96.0 // right of it: slices still open at the end show their name
	svgAxisH      = 34.0
	svgRowH       = 18.0
	svgLabelChars = 44 // longer instant labels are cut (the tooltip has all)
	svgSliceChar  = 6.1
)

// WriteSVG draws t: one horizontal lane per track (its name on the left),
// slices as labelled boxes stacked by nesting, instants as ticks with
// their names and arguments written upwards, flows as arrows from lane to
// lane, and a time axis on top (relative to the first event). Every box
// and tick carries a tooltip with the full text.
func (t *Trace) WriteSVG(w io.Writer) error {
	first, last := t.bounds()
	spans := t.Spans()
	nrows := rows(spans)

	// Horizontal scale: distinct times at least svgMinStep apart, and
	// room for the labels of the events that share a time on a lane,
	// unless that makes the plot wider than svgMaxPlot.
	times := distinctTimes(t.Events)
	offset, crowd := labelOffsets(t.Events)
	minStep := max(svgMinStep, float64(crowd+1)*svgLabelStep)
	perNs := 1.0
	if span := float64(last - first); span > 0 {
		gap := span
		for i := 1; i < len(times); i++ {
			if g := float64(times[i] - times[i-1]); g < gap {
				gap = g
			}
		}
		perNs = minStep / gap
		if span*perNs > svgMaxPlot {
			perNs = svgMaxPlot / span
		}
	}
	nameW := 0
	for _, tr := range t.Tracks {
		nameW = max(nameW, utf8.RuneCountInString(tr.Name))
	}
	left := float64(nameW)*7.4 + 20
	plotW := float64(last-first)*perNs + svgPad + svgPadRight
	plotW = max(plotW, 120)
	x := func(ts uint64) float64 { return left + svgPad + float64(ts-first)*perNs }

	// Vertical layout: per lane, room for the rotated labels, then the
	// slice rows.
	type lane struct{ top, labelBottom, bottom float64 }
	lanes := map[uint32]lane{}
	y := svgAxisH
	for _, tr := range t.Tracks {
		chars := 0
		for _, e := range t.Events {
			if e.Track == tr.ID && e.Kind != Begin && e.Kind != End {
				chars = max(chars, utf8.RuneCountInString(instantLabel(e, svgLabelChars)))
			}
		}
		l := lane{top: y}
		l.labelBottom = y + 8 + float64(chars)*svgCharW
		if chars == 0 {
			l.labelBottom = y + 8
		}
		l.bottom = l.labelBottom + 6 + float64(max(nrows[tr.ID], 1))*svgRowH + 8
		lanes[tr.ID] = l
		y = l.bottom
	}
	width, height := left+plotW, y+10

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="monospace" font-size="11">`+"\n",
		width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker></defs>` + "\n")
	fmt.Fprintf(b, `<rect width="%.0f" height="%.0f" fill="#ffffff"/>`+"\n", width, height)

	// Lanes.
	for i, tr := range t.Tracks {
		l := lanes[tr.ID]
		fill := "#ffffff"
		if i%2 == 0 {
			fill = "#f4f6f8"
		}
		fmt.Fprintf(b, `<rect x="0" y="%.1f" width="%.0f" height="%.1f" fill="%s"/>`+"\n", l.top, width, l.bottom-l.top, fill)
		fmt.Fprintf(b, `<text x="8" y="%.1f" font-size="12" font-weight="bold" fill="#222">%s</text>`+"\n",
			(l.top+l.bottom)/2+4, esc(tr.Name))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", left, svgAxisH, left, height-10)

	// Time axis and grid.
	unit, per := axisUnit(last - first)
	if last > first {
		step := niceStep(100 / perNs)
		for d := uint64(0); ; d += step {
			xx := x(first + d)
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dde1e5"/>`+"\n", xx, svgAxisH-6, xx, height-10)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">%s</text>`+"\n", xx, svgAxisH-10, esc(axisLabel(d, unit, per)))
			if last-first-d < step {
				break
			}
		}
	}
	fmt.Fprintf(b, `<text x="8" y="14" fill="#555">t0 = %d ns</text>`+"\n", first)

	// Slices.
	for _, s := range spans {
		l := lanes[s.Track]
		x0, x1 := x(s.Start), x(s.End)
		if s.Open {
			x1 = left + plotW - 8
		}
		w := max(x1-x0, 3)
		yy := l.labelBottom + 6 + float64(s.Row)*svgRowH
		h := fnv.New32a()
		h.Write([]byte(s.Name))
		hue := h.Sum32() % 360
		dash := ""
		if s.Open {
			dash = ` stroke-dasharray="4 2"`
		}
		fmt.Fprintf(b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="hsl(%d,65%%,82%%)" stroke="hsl(%d,45%%,40%%)"%s/>`,
			esc(spanTitle(s)), x0, yy+1, w, svgRowH-2, hue, hue, dash)
		if n := int((w - 6) / svgSliceChar); n >= 2 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" fill="#111">%s</text>`, x0+3, yy+12.5, esc(cut(s.Name, n)))
		}
		b.WriteString("</g>\n")
	}

	// Instants and flow ends: a tick through the lane, the label upwards
	// (moved right when an earlier event on the lane has the same time).
	for i, e := range t.Events {
		if e.Kind == Begin || e.Kind == End {
			continue
		}
		l := lanes[e.Track]
		xx := x(e.TS) + float64(offset[i])*svgLabelStep
		color := "#333"
		if e.Kind != Instant {
			color = "#c0392b"
		}
		fmt.Fprintf(b, `<g><title>%s</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/><circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`,
			esc(eventTitle(e)), xx, l.labelBottom+2, xx, l.bottom-4, color, xx, l.labelBottom+2, color)
		fmt.Fprintf(b, `<text transform="translate(%.1f,%.1f) rotate(-90)" fill="%s">%s</text></g>`+"\n",
			xx+4, l.labelBottom-2, color, esc(instantLabel(e, svgLabelChars)))
	}

	// Flows.
	mid := func(tr uint32) float64 {
		l := lanes[tr]
		return l.labelBottom + 6 + float64(max(nrows[tr], 1))*svgRowH/2
	}
	for _, a := range t.Arrows() {
		x1, y1, x2, y2 := x(a.From.TS), mid(a.From.Track), x(a.To.TS), mid(a.To.Track)
		dx := max((x2-x1)/2, 12)
		fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="#c0392b" stroke-width="1.6" marker-end="url(#arrow)"><title>%s</title></path>`+"\n",
			x1, y1, x1+dx, y1, x2-dx, y2, x2, y2, esc(fmt.Sprintf("flow %s: %s → %s", a.ID, a.Name, a.EndName)))
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

// labelOffsets numbers the labelled events (instants, flow ends) that
// share a time on a lane: 0 for the first, 1 for the next...; crowd is
// the largest number.
func labelOffsets(ev []Event) (offset []int, crowd int) {
	type key struct {
		track uint32
		ts    uint64
	}
	seen := map[key]int{}
	offset = make([]int, len(ev))
	for i, e := range ev {
		if e.Kind == Begin || e.Kind == End {
			continue
		}
		k := key{e.Track, e.TS}
		offset[i] = seen[k]
		seen[k]++
		crowd = max(crowd, offset[i])
	}
	return offset, crowd
}

// distinctTimes returns the events' timestamps, sorted, each once.
func distinctTimes(ev []Event) []uint64 {
	var ts []uint64
	for _, e := range ev {
		ts = append(ts, e.TS)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	out := ts[:0]
	for i, v := range ts {
		if i == 0 || v != ts[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// instantLabel is what an instant or flow end says: its name and
// arguments, at most n characters.
func instantLabel(e Event, n int) string {
	var s string
	switch e.Kind {
	case FlowStart:
		s = e.Name + " ──→ #" + e.Flow
	case FlowFinish:
		s = "#" + e.Flow + " ──→ " + e.Name
	default:
		s = e.Name + argText(e.Args)
	}
	return cut(s, n)
}

func eventTitle(e Event) string {
	return fmt.Sprintf("%s @ %d ns (line %d)", instantLabel(e, 1<<20), e.TS, e.Line)
}

func spanTitle(s Span) string {
	end := fmt.Sprint(s.End)
	if s.Open {
		end = "(not ended)"
	}
	return fmt.Sprintf("%s%s: %d – %s ns", s.Name, argText(s.Args), s.Start, end)
}

func argText(args []Arg) string {
	var b strings.Builder
	for _, a := range args {
		fmt.Fprintf(&b, " %s=%s", a.Key, quote(a.Value))
	}
	return b.String()
}

// cut shortens s to n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// esc escapes text for XML, dropping what XML 1.0 cannot hold.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
	return xmlEscaper.Replace(s)
}

// niceStep rounds ns up to 1, 2 or 5 times a power of ten.
func niceStep(ns float64) uint64 {
	step := uint64(1)
	for {
		for _, m := range []uint64{1, 2, 5} {
			if float64(step*m) >= ns {
				return step * m
			}
		}
		if step > 1e17 {
			return step
		}
		step *= 10
	}
}

// axisUnit picks the unit for a time range: its name and size in ns.
func axisUnit(span uint64) (string, uint64) {
	switch {
	case span >= 10e9:
		return "s", 1e9
	case span >= 10e6:
		return "ms", 1e6
	case span >= 10e3:
		return "µs", 1e3
	}
	return "ns", 1
}

func axisLabel(d uint64, unit string, per uint64) string {
	if d%per == 0 {
		return fmt.Sprintf("%d %s", d/per, unit)
	}
	return fmt.Sprintf("%s %s", strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", float64(d)/float64(per)), "0"), "."), unit)
}
