package sim

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var (
	seedFlag     = flag.Uint64("seed", 0, "simulate this one seed and print its trace")
	seedsFlag    = flag.Uint64("seeds", 0, "simulate this many seeds (from -from) instead of the CI run")
	fromFlag     = flag.Uint64("from", 1, "the first seed of -seeds")
	scenarioFlag = flag.String("scenario", "", "the scenario every seed explores (default: the seed's own)")
	boostFlag    = flag.String("boost", "", "comma-separated fault points (op/fault) aimed at, as the CI run aims at rare ones")
)

// runSeed runs one seed in its own synctest bubble.
func runSeed(t *testing.T, seed uint64, scenario string, boost []string) Result {
	var r Result
	synctest.Test(t, func(*testing.T) { r = Run(seed, scenario, boost...) })
	return r
}

func replay(r Result) string {
	cmd := fmt.Sprintf("go test ./internal/sim -run TestSimulate -seed %d -scenario %s", r.Seed, r.Scenario)
	if len(r.Boost) > 0 {
		cmd += " -boost " + strings.Join(r.Boost, ",")
	}
	return cmd + " -v"
}

// TestSimulate runs one seed (-seed N, with its trace), N seeds (-seeds N,
// what make simulate runs), or, by default, the CI run: seeds of every
// scenario until each scenario's fault points are covered.
func TestSimulate(t *testing.T) {
	switch {
	case *seedFlag != 0:
		r := runSeed(t, *seedFlag, *scenarioFlag, boosted())
		t.Logf("trace of seed %d (%s):\n%s", r.Seed, r.Scenario, strings.Join(r.Trace, "\n"))
		report(t, []Result{r})
	case *seedsFlag != 0:
		var rs []Result
		start := time.Now()
		for seed := *fromFlag; seed < *fromFlag+*seedsFlag; seed++ {
			rs = append(rs, lean(runSeed(t, seed, *scenarioFlag, boosted()), rs))
		}
		t.Logf("%d seeds in %s: %.1f seeds/s", len(rs), time.Since(start).Round(time.Millisecond), float64(len(rs))/time.Since(start).Seconds())
		report(t, rs)
	default:
		ciRun(t)
	}
}

func boosted() []string {
	if *boostFlag == "" {
		return nil
	}
	return strings.Split(*boostFlag, ",")
}

// lean drops what a long run need not keep: the traces of passing seeds,
// and of failing ones beyond the five report prints.
func lean(r Result, kept []Result) Result {
	failed := 0
	for _, k := range kept {
		if k.Failed() {
			failed++
		}
	}
	if !r.Failed() || failed >= 5 {
		r.Trace = nil
	}
	return r
}

// faultsFor are the fault kinds that apply to an op (a read has no effect
// for an error to come after).
func faultsFor(op string, write bool) []Fault {
	out := []Fault{FaultBefore, FaultThrottle, FaultCrash, FaultSlow}
	if write {
		out = append(out, FaultAfter)
	}
	return out
}

// maxSeeds bounds the CI run's seeds per scenario.
const maxSeeds = 1000

// ciRun covers every fault point (op x fault kind, for every op the
// scenario's histories make) of every scenario at least once.
func ciRun(t *testing.T) {
	start := time.Now()
	var rs []Result
	total, covered := 0, 0
	for k, sc := range Scenarios {
		hit := map[string]bool{}
		ops := map[string]bool{}
		missing := func() []string {
			var out []string
			for _, op := range slices.Sorted(maps.Keys(ops)) {
				for _, f := range faultsFor(op, ops[op]) {
					if !hit[op+"/"+f.String()] {
						out = append(out, op+"/"+f.String())
					}
				}
			}
			return out
		}
		n := 0
		var boost []string
		for seed := uint64(1000*(k+1)) + 1; n < maxSeeds; seed++ {
			if n >= 40 {
				// Aim at what is left.
				boost = missing()
			}
			r := runSeed(t, seed, sc, boost)
			rs = append(rs, lean(r, rs))
			n++
			for op, write := range r.Ops {
				ops[op] = ops[op] || write
			}
			for p := range r.Coverage {
				hit[p] = true
			}
			if n >= 20 && len(missing()) == 0 {
				break
			}
		}
		m := missing()
		points := 0
		for op, write := range ops {
			points += len(faultsFor(op, write))
		}
		total += points
		covered += points - len(m)
		t.Logf("scenario %s: %d seeds, %d of %d fault points covered", sc, n, points-len(m), points)
		if len(m) > 0 {
			t.Errorf("scenario %s: fault points never hit: %v", sc, m)
		}
	}
	el := time.Since(start)
	t.Logf("CI run: %d seeds in %s (%.1f seeds/s), %d of %d fault points covered", len(rs), el.Round(time.Millisecond),
		float64(len(rs))/el.Seconds(), covered, total)
	report(t, rs)
}

// report fails the test on any violation: each failing seed with its
// violations, the command that replays it, and the tail of its trace.
func report(t *testing.T, rs []Result) {
	t.Helper()
	kinds := map[string][]uint64{}
	first := map[string]Result{}
	failed := 0
	for _, r := range rs {
		if !r.Failed() {
			continue
		}
		failed++
		seen := map[string]bool{}
		for _, v := range r.Violations {
			k := v.Kind
			if v.Cause != "" {
				k += " [" + v.Cause + "]"
			}
			if !seen[k] {
				if len(kinds[k]) == 0 {
					first[k] = r
				}
				kinds[k] = append(kinds[k], r.Seed)
				seen[k] = true
			}
		}
		if failed <= 5 {
			var b strings.Builder
			for _, v := range r.Violations {
				fmt.Fprintf(&b, "  %s\n", v)
			}
			tail := r.Trace
			if v := r.Violations[0].Step; v < len(tail) && v >= 0 && *seedFlag == 0 {
				tail = tail[max(0, v-40) : v+1]
			}
			t.Errorf("seed %d (%s) broke %d invariant(s):\n%s  replay: %s\n  trace up to the first:\n    %s", r.Seed, r.Scenario,
				len(r.Violations), b.String(), replay(r), strings.Join(tail, "\n    "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		s := kinds[k]
		t.Errorf("violation %s: %d seed(s), first %v; replay: %s", k, len(s), s[:min(len(s), 8)], replay(first[k]))
	}
	if failed > 0 {
		t.Errorf("%d of %d seeds broke an invariant", failed, len(rs))
	}
}
