package annbench

import (
	"os"
	"strconv"
	"strings"
	"time"

	"genestore/internal/cputime"
)

// clkTck is USER_HZ, the unit of /proc/stat (100 on every Linux port Go
// supports).
const clkTck = 100

// sample is a /proc/stat reading: machine busy and total CPU seconds, this
// process's CPU seconds, and when.
type sample struct {
	busy, total, own float64
	at               time.Time
	ok               bool
}

// cpuSample reads the first line of /proc/stat like peer_ann.py: busy =
// all − idle − iowait.
func cpuSample() sample {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return sample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return sample{}
	}
	var v []float64
	for _, s := range f[1:] {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return sample{}
		}
		v = append(v, x)
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sample{busy: (sum - v[3] - v[4]) / clkTck, total: sum / clkTck, own: cputime.Seconds(), at: time.Now(), ok: true}
}

// othersBusy is the share of all cores that other processes used since s,
// rounded to 2 digits; a window under 1 s is first stretched by sleeping
// (the counters tick every 10 ms). It mirrors peer_ann.py's others_busy.
func othersBusy(s sample) float64 {
	if !s.ok {
		return 0
	}
	if d := time.Second - time.Since(s.at); d > 0 {
		time.Sleep(d)
	}
	now := cpuSample()
	if !now.ok {
		return 0
	}
	busy := now.busy - s.busy - (now.own - s.own)
	total := max(now.total-s.total, 1e-9)
	r := min(max(busy/total, 0), 1)
	return float64(int(r*100+0.5)) / 100
}
