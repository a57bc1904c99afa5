// Command coldstart measures what a cold start of the remediator costs: a
// fresh process handling an event it ignores (the cheapest thing it can be
// asked to do) against a minimal Go program that only reads and decodes
// the same event file, and against the SDK floor (./floor: the same
// decoding, linking every SDK package the remediator links, whose package
// init Go cannot defer). All are built as CDK bundles the function (linux,
// -trimpath, -ldflags=-s -w, tag lambda.norpc) and run in turn, 20 times
// each; it prints the medians and their ratios. Run by hand:
//
//	go run ./bench/coldstart [-runs 20] [-event FILE]
//
// With -inittrace it also prints GODEBUG=inittrace=1 for one remediator
// run, the package inits that make up the rest.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

func main() {
	runs := flag.Int("runs", 20, "runs of each program")
	event := flag.String("event", "pkg/rdsevent/testdata/eventbridge-rds-db-instance-event-0087-stopped.json", "an event the remediator ignores")
	trace := flag.Bool("inittrace", false, "print the remediator's package init trace once")
	flag.Parse()

	dir, err := os.MkdirTemp("", "forcessl-coldstart")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	remediator, minimal, floor := filepath.Join(dir, "remediator"), filepath.Join(dir, "minimal"), filepath.Join(dir, "floor")
	build(remediator, "./functions/remediator")
	build(minimal, "./bench/coldstart/minimal")
	build(floor, "./bench/coldstart/floor")
	for _, b := range []string{remediator, floor, minimal} {
		if st, err := os.Stat(b); err == nil {
			fmt.Printf("%-10s %5.1f MB\n", filepath.Base(b), float64(st.Size())/1e6)
		}
	}

	// No AWS configuration at all: an ignored event must not need any.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "FORCESSL_LOG_LEVEL=error"}
	var tr, tm, tf []time.Duration
	for i := 0; i < *runs; i++ {
		tr = append(tr, timed(remediator, env, "-event", *event))
		tf = append(tf, timed(floor, env, *event))
		tm = append(tm, timed(minimal, env, *event))
	}
	mr, mm, mf := median(tr), median(tm), median(tf)
	fmt.Printf("runs       %d each, in turn\n", *runs)
	fmt.Printf("remediator median %v (min %v)\n", mr, slices.Min(tr))
	fmt.Printf("SDK floor  median %v (min %v)\n", mf, slices.Min(tf))
	fmt.Printf("minimal    median %v (min %v)\n", mm, slices.Min(tm))
	fmt.Printf("ratio      remediator/minimal %.1fx, SDK floor/minimal %.1fx, remediator/SDK floor %.2fx\n",
		float64(mr)/float64(mm), float64(mf)/float64(mm), float64(mr)/float64(mf))
	if *trace {
		cmd := exec.Command(remediator, "-event", *event)
		cmd.Env = append(env, "GODEBUG=inittrace=1")
		out, _ := cmd.CombinedOutput()
		fmt.Printf("\n%s", out)
	}
}

func build(out, pkg string) {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		fatal(fmt.Errorf("build %s: %v\n%s", pkg, err, b))
	}
}

func timed(bin string, env []string, args ...string) time.Duration {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		fatal(fmt.Errorf("%s: %v\n%s", bin, err, out))
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "coldstart:", err)
	os.Exit(1)
}
