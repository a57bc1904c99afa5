package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// summary: calls in all, RDS calls, STS AssumeRole in all and the most for
// one account.
func (s *stats) summary() (total, rdsCalls, assumes, maxPer int) {
	for _, c := range s.calls {
		total++
		if strings.HasPrefix(c.Op, "rds.") {
			rdsCalls++
		}
	}
	for _, n := range s.assume {
		assumes += n
		maxPer = max(maxPer, n)
	}
	return total, rdsCalls, assumes, maxPer
}

// opStats are the calls of one operation.
type opStats struct {
	n   int
	sum time.Duration
}

func (o opStats) mean() string {
	if o.n == 0 {
		return "-"
	}
	return (o.sum / time.Duration(o.n)).Round(100 * time.Microsecond).String()
}

func (s *stats) byOp() map[string]opStats {
	m := map[string]opStats{}
	for _, c := range s.calls {
		o := m[c.Op]
		o.n++
		o.sum += c.End - c.Start
		m[c.Op] = o
	}
	return m
}

// errors counts the calls answered with an HTTP error, by operation: SDK
// retries show here.
func (s *stats) errors() map[string]int {
	m := map[string]int{}
	for _, c := range s.calls {
		if c.Status >= 400 {
			m[fmt.Sprintf("%s %d", c.Op, c.Status)]++
		}
	}
	return m
}

// diagnose says where forcessl's time went at the delay: before its first
// call and after its last answer (process start, configuration, report),
// how many calls were in flight and how busy moto was. seq is a sequential
// run at 0 ms (the baseline's): its latencies are moto's service times.
// The rounds are the model's (see model): at 40 ms a loaded machine's CPU
// lag is as long as a round trip and would count as rounds.
func diagnose(o, seq outcome, delay time.Duration) {
	s := o.stats
	if len(s.calls) == 0 {
		return
	}
	first, last := s.span()
	var busy time.Duration
	for _, c := range s.calls {
		busy += c.End - c.Start
	}
	var svc time.Duration
	for _, c := range seq.stats.calls {
		svc += c.End - c.Start
	}
	svc /= time.Duration(max(len(seq.stats.calls), 1))

	fmt.Printf("\nwhere forcessl's %.2fs went at %s (median run):\n", o.wall.Seconds(), delay)
	fmt.Printf("  first call at +%s, last answer at +%s (process start and exit around them)\n",
		first.Round(time.Millisecond), last.Round(time.Millisecond))
	fmt.Printf("  calls in flight: %.1f on average, %d at most; a call took %s on average at the proxy (%s delay + moto)\n",
		float64(busy)/float64(last-first), s.peak, (busy / time.Duration(len(s.calls))).Round(time.Millisecond), delay)
	replayed := 0
	for _, c := range s.calls {
		if c.Replayed {
			replayed++
		}
	}
	if replayed > 0 {
		fmt.Printf("  %d of %d calls answered by the proxy's replay, without moto\n", replayed, len(s.calls))
	}
	fmt.Printf("  moto: %.2fs of CPU during the run (%.0f%% of its wall time; one Python process: about one core at most);\n"+
		"    served one at a time a call takes %s (sequential baseline at 0), so %d calls need %.2fs one after another\n",
		o.motoCPU.Seconds(), 100*o.motoCPU.Seconds()/o.wall.Seconds(), svc.Round(100*time.Microsecond), len(s.calls),
		(time.Duration(len(s.calls)) * svc).Seconds())
}

// span is the first call's start and the last answer's end.
func (s *stats) span() (first, last time.Duration) {
	if len(s.calls) == 0 {
		return 0, 0
	}
	first = s.calls[0].Start
	for _, c := range s.calls {
		first = min(first, c.Start)
		last = max(last, c.End)
	}
	return first, last
}

// items groups the calls by account-region: its RDS calls, its account's
// AssumeRole (shared by the account's regions, so counted in each of them)
// and the Scheduler reads that followed its RDS calls; GetCallerIdentity
// is global.
func (s *stats) items() (map[string][]call, []call) {
	byItem := map[string][]call{}
	var global []call
	for _, c := range s.calls {
		if strings.HasPrefix(c.Op, "rds.") {
			k := c.Account + "/" + c.Region
			byItem[k] = append(byItem[k], c)
		}
	}
	for _, c := range s.calls {
		switch {
		case c.Role != "":
			for k := range byItem {
				if strings.HasPrefix(k, c.Role+"/") {
					byItem[k] = append(byItem[k], c)
				}
			}
		case strings.HasPrefix(c.Op, "sts.GetCallerIdentity"):
			global = append(global, c)
		case !strings.HasPrefix(c.Op, "rds."):
			// Scheduler (central account): attach to the item whose call
			// ended last before it started, in the same region.
			best, bestEnd := "", time.Duration(0)
			for k, cs := range byItem {
				if !strings.HasSuffix(k, "/"+c.Region) {
					continue
				}
				for _, ic := range cs {
					if ic.End <= c.Start && ic.End > bestEnd && strings.HasPrefix(ic.Op, "rds.") {
						best, bestEnd = k, ic.End
					}
				}
			}
			if best != "" {
				byItem[best] = append(byItem[best], c)
			}
		}
	}
	for _, cs := range byItem {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Start < cs[j].Start })
	}
	return byItem, global
}

// modelRun is forcessl's run with every call costing a long round trip
// (model delay), the proxy replaying moto's answers: a call that needs
// another's answer starts a whole round trip after the one it needs,
// whatever the machine's load, so the sweep's rounds one after another
// are its span divided by the round trip (as long as the CPU time between
// rounds, all added up, stays under one round trip: printed).
type modelRun struct {
	delay       time.Duration
	rounds      int           // the sweep's, first call to last answer
	between     time.Duration // span - rounds x delay: CPU and scheduling between rounds
	depths      []int         // rounds one after another per account-region, sorted
	over, items int           // account-regions above their minimum, of those with calls
	mins        []int         // their minimums, sorted
	calls       int
	globalCall  int // global rounds before the first account-region's call
}

func newModelRun(o outcome, delay time.Duration, minRounds map[string]int) modelRun {
	s := o.stats
	m := modelRun{delay: delay, calls: len(s.calls)}
	first, last := s.span()
	m.rounds = int((last - first) / delay)
	m.between = last - first - time.Duration(m.rounds)*delay
	byItem, global := s.items()
	// A global call is a round of its own only when the items wait for
	// it (GetCallerIdentity before any route; not when it confirms a
	// claimed account beside the first reads).
	firstItem := last
	for _, cs := range byItem {
		firstItem = min(firstItem, cs[0].Start)
	}
	for _, c := range global {
		if c.End <= firstItem {
			m.globalCall++
		}
	}
	for k, cs := range byItem {
		d := itemDepth(cs)
		m.depths = append(m.depths, d)
		m.items++
		if min, ok := minRounds[k]; ok {
			m.mins = append(m.mins, min)
			if d > min {
				m.over++
			}
		}
	}
	slices.Sort(m.depths)
	slices.Sort(m.mins)
	return m
}

// bestRounds is the fewest rounds a sweep of these account-regions can
// take with parallel of them at once: global rounds first (the caller's
// identity, when not known), then every member's role assumed at once
// (one round, outside the slots), and each account-region holding a slot
// for its own rounds (its minimum without the AssumeRole), started as
// soon as a slot is free and its credentials are ready, the longest
// first.
func bestRounds(minRounds map[string]int, central string, parallel, global int) int {
	type job struct{ ready, rounds int }
	var jobs []job
	for k, n := range minRounds {
		if strings.HasPrefix(k, central+"/") {
			jobs = append(jobs, job{global, n})
		} else {
			jobs = append(jobs, job{global + 1, n - 1})
		}
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].ready != jobs[j].ready {
			return jobs[i].ready < jobs[j].ready
		}
		return jobs[i].rounds > jobs[j].rounds
	})
	slots := make([]int, max(parallel, 1)) // the round after which each slot is free
	end := global
	for _, j := range jobs {
		k := slices.Index(slots, slices.Min(slots))
		start := max(slots[k], j.ready)
		slots[k] = start + j.rounds
		end = max(end, slots[k])
	}
	return end
}

// itemDepth is the number of rounds of calls one after another: a call is
// one round after the latest call that ended before it started. calls are
// in start order.
func itemDepth(calls []call) int {
	depth := make([]int, len(calls))
	maxDepth := 0
	for i, c := range calls {
		depth[i] = 1
		for j := range i {
			if calls[j].End <= c.Start {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		maxDepth = max(maxDepth, depth[i])
	}
	return maxDepth
}

func printTimeline(s *stats) {
	fmt.Printf("\nforcessl's calls in order (start, end, account, region, operation, status):\n")
	cs := slices.Clone(s.calls)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Start < cs[j].Start })
	for _, c := range cs {
		replayed := ""
		if c.Replayed {
			replayed = " replayed"
		}
		fmt.Printf("  +%7.3f +%7.3f %s %-14s %-34s %d%s\n", c.Start.Seconds(), c.End.Seconds(), c.Account, c.Region, c.Op, c.Status,
			replayed)
	}
}

// byAccount describes the calls made with each account's credentials
// (the central account's: STS, Scheduler and its own RDS) and the fewest
// and most made in a member account.
func (s *stats) byAccount(central string) string {
	m := map[string]int{}
	for _, c := range s.calls {
		m[c.Account]++
	}
	var members []int
	for a, n := range m {
		if a != central {
			members = append(members, n)
		}
	}
	if len(members) == 0 {
		return fmt.Sprintf("central %d", m[central])
	}
	slices.Sort(members)
	return fmt.Sprintf("central %d, each of %d members %d to %d", m[central], len(members), members[0], members[len(members)-1])
}
