// Command orgscale benchmarks an organization-wide audit as ops run it from
// a laptop: forcessl's audit (the real binary, account-regions in parallel)
// against a Prowler-style sequential boto3 audit (baseline.py), both
// through a proxy in front of moto that adds a fixed delay to every AWS
// call, as a remote AWS endpoint would. It runs both at the given delay and
// at 0 ms (where moto, one Python process, bounds what concurrency can
// gain), and prints wall times, calls (in all, per operation, AssumeRole per
// account), the speed-up and whether both agree on every instance.
//
// The estate: member accounts, each with instances in every region (SQL
// Server and PostgreSQL on four shared parameter groups per account-region,
// half of the instances compliant), seeded in moto directly; the member
// role exists in every member account. The central account (the test
// credentials' own) is audited too and holds no instance.
//
//	go run ./bench/orgscale                          # 30 accounts x 2 regions x 5 instances, 40ms, medians of 3
//	go run ./bench/orgscale -quick                   # CI: 3 x 2 x 2, 5ms, one run
//
// With -replay the proxy answers a request moto has already answered (the
// warm-up run teaches it every answer of these read-only audits) without
// asking moto again: each call then costs the delay alone, however many
// are in flight, as on AWS, where moto would otherwise serve one call at a
// time. The table says which it was.
//
// It exits 1 when forcessl and the baseline (or either and the seeded
// truth) disagree on any instance, or when forcessl assumes a member's role
// more than once in the audit; timing is reported, never asserted.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/report"
)

const role = "forcessl-remediation"

var allRegions = []string{"us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2", "ap-northeast-1",
	"ca-central-1", "sa-east-1"}

//go:embed baseline.py
var baselinePy []byte

type tb struct{}

func (tb) Helper() {}
func (tb) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "orgscale: "+f+"\n", a...)
	exit(2)
}

var fatalf = tb{}.Fatalf

// cleanups run before the process exits, however it exits: moto and the
// temporary files must not outlive the benchmark.
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func exit(code int) {
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
	os.Exit(code)
}

// estate is what was seeded: compliance by account/region/instance.
type estate struct {
	members []string
	regions []string
	truth   map[string]bool
}

func (e estate) accounts() []string { return append([]string{mototest.Account}, e.members...) }

// minRounds is the fewest calls one after another an account-region can
// be audited in, by "account/region": a member's AssumeRole (its
// credentials), the listing (instances and clusters at once), then the
// parameters of its groups (at once) when it has instances. The schedule
// group and the region's CAs are read once for the sweep, off each item's
// path.
func (e estate) minRounds() map[string]int {
	has := map[string]bool{}
	for k := range e.truth {
		parts := strings.SplitN(k, "/", 3)
		has[parts[0]+"/"+parts[1]] = true
	}
	out := map[string]int{}
	for _, a := range e.accounts() {
		for _, r := range e.regions {
			n := 1
			if a != mototest.Account {
				n++
			}
			if has[a+"/"+r] {
				n++
			}
			out[a+"/"+r] = n
		}
	}
	return out
}

// outcome is one run of one side.
type outcome struct {
	wall      time.Duration
	cpu       time.Duration   // the process's own, user + system
	motoCPU   time.Duration   // moto's during the run
	compliant map[string]bool // account/region/instance
	problems  []string        // items in error or not covered
	stats     *stats
}

func main() {
	nAccounts := flag.Int("accounts", 30, "member accounts (the central account is audited too, with no instance)")
	nRegions := flag.Int("regions", 2, fmt.Sprintf("regions (1 to %d)", len(allRegions)))
	nInstances := flag.Int("instances", 5, "instances per account and region")
	delay := flag.Duration("delay", 40*time.Millisecond, "latency the proxy adds to every AWS call (the run is repeated at 0)")
	parallel := flag.Int("parallel", 16, "forcessl audit --parallel (account-regions at once)")
	runs := flag.Int("runs", 3, "runs of each side at each delay (medians are printed)")
	quick := flag.Bool("quick", false, "CI size: -accounts 3 -instances 2 -delay 5ms -runs 1 -warmup=false -model-delay 250ms (unless set)")
	warmup := flag.Bool("warmup", true, "one untimed run of each side first (moto loads each service on its first call)")
	timeline := flag.Bool("timeline", false, "print forcessl's calls at the delay, in order (diagnosis)")
	replay := flag.Bool("replay", false, "answer a request moto has already answered from the proxy (AWS-like: calls cost the delay alone)")
	prebuilt := flag.String("forcessl", "", "a forcessl binary to measure (default: build ./cmd/forcessl)")
	modelDelay := flag.Duration("model-delay", time.Second, "the model run's round trip: one more forcessl run, answers replayed, "+
		"where the rounds one after another are counted whatever the machine's load (0: none)")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"accounts": "3", "instances": "2", "delay": "5ms", "runs": "1", "warmup": "false",
			"model-delay": "250ms"} {
			if !set[name] {
				_ = flag.Set(name, v)
			}
		}
	}
	if *nRegions < 1 || *nRegions > len(allRegions) || *nAccounts < 1 || *nInstances < 1 || *runs < 1 {
		fatalf("bad size: -accounts %d -regions %d -instances %d -runs %d", *nAccounts, *nRegions, *nInstances, *runs)
	}

	moto, err := mototest.Start()
	if err != nil {
		fatalf("%v", err)
	}
	atExit(moto.Stop)
	dir, err := os.MkdirTemp("", "forcessl-orgscale-")
	if err != nil {
		fatalf("%v", err)
	}
	atExit(func() { _ = os.RemoveAll(dir) })
	script := filepath.Join(dir, "baseline.py")
	if err := os.WriteFile(script, baselinePy, 0o600); err != nil {
		fatalf("%v", err)
	}
	e := estate{regions: allRegions[:*nRegions], truth: map[string]bool{}}
	for i := 1; i <= *nAccounts; i++ {
		e.members = append(e.members, fmt.Sprintf("21%010d", i))
	}
	fmt.Fprintf(os.Stderr, "seeding %d member accounts x %d regions x %d instances...\n", *nAccounts, *nRegions, *nInstances)
	t0 := time.Now()
	seed(moto, &e, *nInstances)
	fmt.Fprintf(os.Stderr, "seeded %d instances in %s\n", len(e.truth), time.Since(t0).Round(time.Millisecond))

	px, err := startProxy(moto.Endpoint, mototest.Account, *replay)
	if err != nil {
		fatalf("proxy: %v", err)
	}
	atExit(px.Close)

	bin := *prebuilt
	if bin == "" {
		bin = filepath.Join(dir, "forcessl")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/forcessl").CombinedOutput(); err != nil {
			fatalf("build: %v\n%s", err, out)
		}
	}

	// moto loads each service's code on its first call, and with -replay
	// the proxy learns moto's answers: one untimed run of each side first.
	if *warmup {
		fmt.Fprintf(os.Stderr, "warm-up run...\n")
		px.Reset(0)
		runForcessl(bin, px, e, *parallel)
		runBaseline(script, px, e)
	}

	loadStart := loadavg()
	delays := []time.Duration{*delay}
	if *delay != 0 {
		delays = append(delays, 0)
	}
	type sides struct{ fs, bl []outcome }
	results := map[time.Duration]*sides{}
	ok := true
	for _, d := range delays {
		results[d] = &sides{}
		for r := 1; r <= *runs; r++ {
			fmt.Fprintf(os.Stderr, "delay %s, run %d/%d: forcessl...", d, r, *runs)
			px.Reset(d)
			fs := runForcessl(bin, px, e, *parallel)
			fmt.Fprintf(os.Stderr, " %.2fs; baseline...", fs.wall.Seconds())
			px.Reset(d)
			bl := runBaseline(script, px, e)
			fmt.Fprintf(os.Stderr, " %.2fs\n", bl.wall.Seconds())
			results[d].fs = append(results[d].fs, fs)
			results[d].bl = append(results[d].bl, bl)
			for _, msg := range disagreements(e, fs, bl) {
				ok = false
				fmt.Fprintf(os.Stderr, "DISAGREE (delay %s, run %d): %s\n", d, r, msg)
			}
		}
	}

	loadEnd := loadavg()
	var model *modelRun
	if *modelDelay > 0 {
		if !*replay {
			// The model needs every call to cost the delay alone: learn
			// moto's answers first.
			px.replay = true
			px.Reset(0)
			runForcessl(bin, px, e, *parallel)
		}
		fmt.Fprintf(os.Stderr, "model run, every call %s...", *modelDelay)
		px.Reset(*modelDelay)
		mo := runForcessl(bin, px, e, *parallel)
		fmt.Fprintf(os.Stderr, " %.2fs\n", mo.wall.Seconds())
		for _, msg := range disagreements(e, mo, outcome{compliant: e.truth}) {
			ok = false
			fmt.Fprintf(os.Stderr, "DISAGREE (model run): %s\n", msg)
		}
		m := newModelRun(mo, *modelDelay, e.minRounds())
		model = &m
	}

	fmt.Printf("\norganization audit through a latency proxy: %d member accounts + the central one, %d regions, %d instances "+
		"(%d per account-region), forcessl --parallel %d, moto on loopback%s; the median of %d run(s)\n",
		len(e.members), len(e.regions), len(e.truth), *nInstances, *parallel,
		map[bool]string{true: ", its answers replayed by the proxy after the warm-up", false: ""}[*replay], *runs)
	fmt.Printf("load average (1 min) before the runs %s, after %s\n\n", loadStart, loadEnd)
	fmt.Printf("%-6s %-20s %9s %9s %9s %11s %9s %9s %9s\n", "delay", "", "wall", "AWS calls", "RDS calls", "AssumeRole",
		"in flight", "CPU", "moto CPU")
	var assumeOK, agreeOK = true, ok
	var ratioAtDelay float64
	for _, d := range delays {
		s := results[d]
		fs, bl := median(s.fs), median(s.bl)
		for i, side := range []struct {
			name string
			o    outcome
		}{{"forcessl audit (Go)", fs}, {"baseline (boto3)", bl}} {
			label := ""
			if i == 0 {
				label = d.String()
			}
			total, rdsCalls, assumes, maxPer := side.o.stats.summary()
			fmt.Printf("%-6s %-20s %8.2fs %9d %9d %4d (%d max) %9d %8.2fs %8.2fs\n", label, side.name, side.o.wall.Seconds(), total,
				rdsCalls, assumes, maxPer, side.o.stats.peak, side.o.cpu.Seconds(), side.o.motoCPU.Seconds())
		}
		ratio := bl.wall.Seconds() / fs.wall.Seconds()
		fmt.Printf("%-6s %-20s %8.1fx\n", "", "speed-up", ratio)
		if d == *delay {
			ratioAtDelay = ratio
		}
		for _, o := range s.fs {
			if _, _, _, maxPer := o.stats.summary(); maxPer > 1 {
				assumeOK = false
			}
		}
	}
	if *runs > 1 {
		fmt.Printf("\nwall times of every run (s):\n")
		for _, d := range delays {
			fmt.Printf("  %-6s forcessl %s   baseline %s\n", d, walls(results[d].fs), walls(results[d].bl))
		}
	}

	fsRun, blRun := median(results[*delay].fs), median(results[*delay].bl)
	zero := median(results[0].bl) // sequential: its latencies are moto's service times
	fmt.Printf("\ncalls per operation at %s (median runs): forcessl | baseline; mean latency at the proxy: forcessl at %s | baseline at 0 (moto's service time)\n",
		*delay, *delay)
	fsOps, blOps, zeroOps := fsRun.stats.byOp(), blRun.stats.byOp(), zero.stats.byOp()
	var ops []string
	for op := range fsOps {
		ops = append(ops, op)
	}
	for op := range blOps {
		if _, ok := fsOps[op]; !ok {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Printf("  %-34s %6d | %6d %10s | %s\n", op, fsOps[op].n, blOps[op].n, fsOps[op].mean(), zeroOps[op].mean())
	}
	fmt.Printf("  calls by account: forcessl %s; baseline %s\n", fsRun.stats.byAccount(mototest.Account),
		blRun.stats.byAccount(mototest.Account))
	if errs := fsRun.stats.errors(); len(errs) > 0 {
		fmt.Printf("  forcessl calls answered with an error: %v\n", errs)
	}
	blCalls, _, _, _ := blRun.stats.summary()
	diagnose(fsRun, zero, *delay)
	modelRatio := 0.0
	if model != nil && *delay > 0 {
		modelRatio = printModel(*model, e, *parallel, *delay, blCalls, fsRun, bl0(results[*delay].bl), loadStart, loadEnd)
	}
	if *timeline {
		printTimeline(fsRun.stats)
	}

	fmt.Printf("\nagreement: ")
	if agreeOK {
		fmt.Printf("both agree with each other and with the seeded estate on all %d instances, at every delay and run\n", len(e.truth))
	} else {
		fmt.Printf("DISAGREEMENT (see stderr)\n")
	}
	check := func(name string, ok bool) {
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
		}
		fmt.Printf("  %-58s %s\n", name, verdict)
	}
	fmt.Println("targets:")
	check("agrees on every instance", agreeOK)
	check("at most one AssumeRole per member account (forcessl)", assumeOK)
	check(fmt.Sprintf(">= 10x faster than the baseline at %s", *delay), ratioAtDelay >= 10)
	check(fmt.Sprintf(">= 40x faster than the baseline at %s, measured (issue 21's target)", *delay), ratioAtDelay >= 40)
	if model != nil {
		check(fmt.Sprintf(">= 40x faster than the baseline at %s, modeled (issue 21's target)", *delay), modelRatio >= 40)
	}
	fsCalls, _, _, _ := fsRun.stats.summary()
	check(fmt.Sprintf("no more AWS calls than the baseline (%d against %d)", fsCalls, blCalls), fsCalls <= blCalls)
	if !agreeOK || !assumeOK {
		exit(1)
	}
	exit(0)
}

// printModel prints the load-independent figures: forcessl's rounds one
// after another from the model run, per account-region and for the whole
// sweep, beside the fewest possible; the time they take at the delay;
// and the ratio to the baseline's, which is sequential (one call at a
// time), so its time at the delay is at least its calls x the delay. It
// returns that ratio.
func printModel(m modelRun, e estate, parallel int, delay time.Duration, blCalls int, fs outcome, blWall time.Duration,
	loadStart, loadEnd string) float64 {
	fmt.Printf("\nmodeled, independent of the machine's load: forcessl run once more, every call costing %s (answers replayed):\n", m.delay)
	if len(m.depths) > 0 && len(m.mins) > 0 {
		fmt.Printf("  critical path per account-region: %d rounds (median; min %d, max %d) against a theoretical minimum of %d "+
			"(median; min %d, max %d):\n"+
			"    a member's AssumeRole, its listing (instances and clusters at once), its groups' parameters (at once);\n"+
			"    an account-region without instances stops at the listing; schedules and CAs are sweep-wide reads.\n"+
			"    %d of %d account-regions took more rounds than their minimum\n",
			m.depths[len(m.depths)/2], m.depths[0], m.depths[len(m.depths)-1], m.mins[len(m.mins)/2], m.mins[0], m.mins[len(m.mins)-1],
			m.over, m.items)
	}
	best := bestRounds(e.minRounds(), mototest.Account, parallel, m.globalCall)
	holds := "under half a round trip, so the count holds"
	if m.between > m.delay/2 {
		holds = "OVER HALF A ROUND TRIP: the machine is too loaded for this count, raise -model-delay"
	}
	fmt.Printf("  the whole sweep: %d rounds one after another, first call to last answer (%d calls; %s of CPU and scheduling\n"+
		"    between rounds, %s); the fewest possible at --parallel %d: %d\n"+
		"    (%d global round(s) before them, every member's role assumed at once, then each account-region in a slot for its own rounds)\n",
		m.rounds, m.calls, m.between.Round(time.Millisecond), holds, parallel, best, m.globalCall)
	fsModel := time.Duration(m.rounds) * delay
	blModel := time.Duration(blCalls) * delay
	ratio := blModel.Seconds() / fsModel.Seconds()
	fmt.Printf("  at %s a call: forcessl %d rounds x %s = %.2fs; the baseline, one call at a time, %d calls x %s = %.2fs\n"+
		"    (neither process's start nor the baseline's boto3 CPU counted): %.1fx modeled\n",
		delay, m.rounds, delay, fsModel.Seconds(), blCalls, delay, blModel.Seconds(), ratio)
	fmt.Printf("  measured at %s: forcessl %.2fs, baseline %.2fs: %.1fx, with the load average (1 min) at %s before the runs, %s after\n",
		delay, fs.wall.Seconds(), blWall.Seconds(), blWall.Seconds()/fs.wall.Seconds(), loadStart, loadEnd)
	return ratio
}

// bl0 is the baseline's median wall time at the delay.
func bl0(os []outcome) time.Duration { return median(os).wall }

// median is the run of median wall time.
func median(os []outcome) outcome {
	s := slices.Clone(os)
	slices.SortFunc(s, func(a, b outcome) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

func walls(os []outcome) string {
	var s []string
	for _, o := range os {
		s = append(s, fmt.Sprintf("%.2f", o.wall.Seconds()))
	}
	return strings.Join(s, " ")
}

// env is the environment both sides run in: the test credentials, every
// endpoint the proxy, and nothing of this shell's AWS or forcessl settings.
func env(px *proxy) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "FORCESSL_") {
			out = append(out, kv)
		}
	}
	return append(out, "AWS_ENDPOINT_URL="+px.URL, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true")
}

func runForcessl(bin string, px *proxy, e estate, parallel int) outcome {
	cmd := exec.Command(bin, "audit", "--format", "json", "--accounts", strings.Join(e.accounts(), ","),
		"--regions", strings.Join(e.regions, ","), "--parallel", fmt.Sprint(parallel))
	// AWS_ACCOUNT_ID names the credentials' account, as the baseline is
	// told it (--own-account): forcessl routes on it and has STS confirm it
	// beside its first reads.
	cmd.Env = append(env(px), "FORCESSL_MEMBER_ROLE_NAME="+role, "FORCESSL_LOG_LEVEL=error", "AWS_ACCOUNT_ID="+mototest.Account)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	m0 := motoCPU()
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	moto := motoCPU() - m0
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: findings, as expected
		fatalf("forcessl audit: %v\n%s", err, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		fatalf("forcessl report: %v\n%s", err, stderr.String())
	}
	o := outcome{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), motoCPU: moto,
		compliant: map[string]bool{}, stats: px.Reset(0)}
	for _, it := range rep.Items {
		if it.Error != "" || it.NotCovered {
			o.problems = append(o.problems, fmt.Sprintf("forcessl item %s/%s: not covered=%v, error %q", it.Account, it.Region,
				it.NotCovered, it.Error))
		}
		for _, r := range it.Resources {
			key := it.Account + "/" + it.Region + "/" + r.Instance
			switch r.Bucket {
			case report.Compliant:
				o.compliant[key] = true
			case report.NonCompliant, report.PendingReboot:
				o.compliant[key] = false
			default:
				o.problems = append(o.problems, fmt.Sprintf("forcessl %s: %s (%s)", key, r.Bucket, r.Reason))
			}
		}
	}
	return o
}

func runBaseline(script string, px *proxy, e estate) outcome {
	cmd := exec.Command("python3", script, "--endpoint", px.URL, "--accounts", strings.Join(e.accounts(), ","),
		"--regions", strings.Join(e.regions, ","), "--own-account", mototest.Account, "--role", role)
	cmd.Env = env(px)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	m0 := motoCPU()
	out, err := cmd.Output()
	moto := motoCPU() - m0
	if err != nil {
		fatalf("baseline: %v\n%s", err, stderr.String())
	}
	var bl struct {
		Wall      float64         `json:"wall_s"`
		Compliant map[string]bool `json:"compliant"`
	}
	if err := json.Unmarshal(out, &bl); err != nil {
		fatalf("baseline output: %v", err)
	}
	// The baseline's own clock: Python's start and boto3's import are not
	// counted against it.
	return outcome{wall: time.Duration(bl.Wall * float64(time.Second)), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		motoCPU: moto, compliant: bl.Compliant, stats: px.Reset(0)}
}

// disagreements compares both sides with each other and with what was
// seeded, instance by instance.
func disagreements(e estate, fs, bl outcome) []string {
	msgs := slices.Clone(fs.problems)
	msgs = append(msgs, bl.problems...)
	keys := map[string]bool{}
	for _, m := range []map[string]bool{e.truth, fs.compliant, bl.compliant} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		want, seeded := e.truth[k]
		f, fok := fs.compliant[k]
		b, bok := bl.compliant[k]
		if !seeded || !fok || !bok || f != want || b != want {
			msgs = append(msgs, fmt.Sprintf("%s: seeded %v (%v), forcessl %v (%v), baseline %v (%v)", k, want, seeded, f, fok, b, bok))
		}
	}
	sort.Strings(msgs)
	return msgs
}

// seed creates the estate in moto directly (not through the proxy), an
// account at a time in parallel: the member role, then per region four
// groups ({SQL Server, PostgreSQL} x {TLS on, off}) and the instances
// spread over them, every other instance compliant.
func seed(moto *mototest.Server, e *estate, perRegion int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	for ai, acct := range e.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			moto.Role(tb{}, acct, role) // what the StackSet creates
			for ri, region := range e.regions {
				c := rds.NewFromConfig(moto.ConfigAs(tb{}, acct, region))
				for _, g := range groups {
					if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(g.name()),
						DBParameterGroupFamily: aws.String(g.family), Description: aws.String("bench")}); err != nil {
						fatalf("create group in %s/%s: %v", acct, region, err)
					}
					mototest.SeedTLSParameter(tb{}, c, g.name(), "rds.force_ssl", map[bool]string{true: "1", false: "0"}[g.on], g.applyType)
				}
				for i := range perRegion {
					// Engines alternate by pairs, compliance by instance,
					// shifted in each account and region; names are unique
					// in the estate, so that a report that mixed up
					// account-regions could not agree with the truth.
					g := groups[(i/2+ri)%2*2+(i+ai+ri)%2]
					id := fmt.Sprintf("db-%s-%s-%02d", acct[len(acct)-4:], region, i)
					mototest.CreateInstance(tb{}, c, id, g.engine, g.name(), nil)
					mu.Lock()
					e.truth[acct+"/"+region+"/"+id] = g.on
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
}

type group struct {
	engine, family, applyType string
	on                        bool
}

func (g group) name() string { return fmt.Sprintf("app-%s-tls-%v", g.engine, g.on) }

var groups = []group{
	{"sqlserver-se", "sqlserver-se-15.0", "static", true}, {"sqlserver-se", "sqlserver-se-15.0", "static", false},
	{"postgres", "postgres16", "dynamic", true}, {"postgres", "postgres16", "dynamic", false},
}

// loadavg is the machine's 1-minute load average ("?" where unknown): the
// figures mean little on a busy machine.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}
