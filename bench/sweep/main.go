// Command sweep benchmarks forcessl's sweep against the naive audit
// (baseline.py, the way Prowler's rds_instance_transport_encrypted check
// reads parameters) on the same moto fixtures: 1,000 SQL Server and
// PostgreSQL instances across 3 accounts sharing 20 parameter groups, half
// of them compliant, report mode. It prints wall time, RDS API calls and
// peak memory of each, the ratios, and whether both agree on every
// instance. Run by hand:
//
//	go run ./bench/sweep [-instances 1000]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/report"
)

var accounts = []string{mototest.Account, "210987654321", "310987654321"}

type tb struct{}

func (tb) Helper() {}
func (tb) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+f+"\n", a...)
	os.Exit(1)
}

func main() {
	n := flag.Int("instances", 1000, "instances in all")
	groups := flag.Int("groups", 20, "parameter groups in all")
	params := flag.Int("params", 180, "parameters per group (a SQL Server family lists about this many)")
	flag.Parse()

	moto, err := mototest.Start()
	if err != nil {
		tb{}.Fatalf("%v", err)
	}
	defer moto.Stop()
	fmt.Fprintf(os.Stderr, "seeding %d instances, %d groups of %d parameters in %d accounts...\n", *n, *groups, *params, len(accounts))
	start := time.Now()
	seed(moto, *n, *groups, *params)
	fmt.Fprintf(os.Stderr, "seeded in %s\n", time.Since(start).Round(time.Second))

	bin := filepath.Join(os.TempDir(), "forcessl-bench-remediator")
	if out, err := exec.Command("go", "build", "-o", bin, "./functions/remediator").CombinedOutput(); err != nil {
		tb{}.Fatalf("build: %v\n%s", err, out)
	}

	// forcessl: the real binary, as ops run it from a laptop.
	cmd := exec.Command(bin, "-sweep", "-mode", "report", "-accounts", strings.Join(accounts, ","), "-regions", mototest.Region, "-format", "json")
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing", "FORCESSL_MEMBER_ROLE_NAME=forcessl-remediation", "FORCESSL_LOG_LEVEL=error")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		tb{}.Fatalf("forcessl sweep: %v\n%s", err, stderr.String())
	}
	fsWall := time.Since(t0)
	fsRSS := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		tb{}.Fatalf("forcessl report: %v", err)
	}
	var fsCalls map[string]int
	for _, line := range strings.Split(stderr.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "api calls: "); ok {
			_ = json.Unmarshal([]byte(rest), &fsCalls)
		}
	}
	fsRDS := 0
	for op, c := range fsCalls {
		if strings.HasPrefix(op, "RDS.") {
			fsRDS += c
		}
	}

	// The baseline.
	base := exec.Command("python3", "bench/sweep/baseline.py", "--endpoint", moto.Endpoint, "--accounts", strings.Join(accounts, ","))
	out, err := base.Output()
	if err != nil {
		tb{}.Fatalf("baseline: %v", err)
	}
	var bl struct {
		Wall      float64         `json:"wall_s"`
		Calls     int             `json:"rds_calls"`
		RSS       int64           `json:"peak_rss_kb"`
		Compliant map[string]bool `json:"compliant"`
	}
	if err := json.Unmarshal(out, &bl); err != nil {
		tb{}.Fatalf("baseline output: %v", err)
	}

	// Agreement, instance by instance: forcessl lists every instance that is
	// not compliant; every other instance in scope is compliant.
	notCompliant := map[string]bool{}
	inScope := 0
	for _, it := range rep.Items {
		inScope += it.Counts[report.Compliant] + it.Counts[report.NonCompliant] + it.Counts[report.PendingReboot]
		for _, f := range it.Findings {
			notCompliant[f.Account+"/"+f.Instance] = true
		}
	}
	agree := 0
	for id, ok := range bl.Compliant {
		if ok != notCompliant[id] {
			agree++
		} else {
			fmt.Fprintf(os.Stderr, "DISAGREE %s: baseline compliant=%v\n", id, ok)
		}
	}

	fmt.Printf("\nforcessl sweep vs naive audit: %d instances, %d accounts, %d parameter groups of %d parameters, moto on loopback\n\n",
		len(bl.Compliant), len(accounts), *groups, *params)
	fmt.Printf("%-22s %12s %12s %14s\n", "", "wall time", "RDS calls", "peak RSS")
	fmt.Printf("%-22s %11.2fs %12d %11.1f MB\n", "forcessl sweep (Go)", fsWall.Seconds(), fsRDS, float64(fsRSS)/1024)
	fmt.Printf("%-22s %11.2fs %12d %11.1f MB\n", "baseline (boto3)", bl.Wall, bl.Calls, float64(bl.RSS)/1024)
	fmt.Printf("%-22s %11.1fx %11.1fx\n", "ratio", bl.Wall/fsWall.Seconds(), float64(bl.Calls)/float64(fsRDS))
	// moto answers DescribeDBParameters in one page whatever the size; RDS
	// returns at most 100 parameters a page, so against AWS the baseline
	// reads ceil(params/100) pages per instance. forcessl's filtered read is
	// one page either way.
	pages := (*params + 99) / 100
	listPages := 0
	for _, it := range rep.Items {
		listPages += (sum(it.Counts) + 99) / 100
	}
	realBaseline := listPages + len(bl.Compliant)*pages
	fmt.Printf("%-22s %12s %12d   (%d-page parameter reads as RDS pages them: %.0fx)\n", "baseline on AWS, est.", "", realBaseline,
		pages, float64(realBaseline)/float64(fsRDS))
	fmt.Printf("\nagreement: %d of %d instances (forcessl: %d in scope, %d not compliant)\n", agree, len(bl.Compliant), inScope, len(notCompliant))
	check := func(name string, ok bool) {
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
		}
		fmt.Printf("  %-42s %s\n", name, verdict)
	}
	fmt.Println("targets:")
	check("agrees on every instance", agree == len(bl.Compliant) && inScope == len(bl.Compliant))
	check(">= 10x fewer RDS calls", bl.Calls >= 10*fsRDS)
	check(">= 5x faster", bl.Wall >= 5*fsWall.Seconds())
	check("sweep peak RSS < 64 MB", fsRSS < 64*1024)
}

func sum(m map[report.Bucket]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// seed creates the fixtures in parallel: groups per account with realistic
// parameter counts, the TLS parameter on in half of them, and instances
// spread over the groups.
func seed(moto *mototest.Server, n, groups, params int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for ai, acct := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := rds.NewFromConfig(moto.ConfigAs(tb{}, acct, mototest.Region))
			if acct != mototest.Account {
				moto.Role(tb{}, acct, "forcessl-remediation") // what the StackSet creates
			}
			var names []string
			for g := ai; g < groups; g += len(accounts) {
				family, engine := "sqlserver-se-15.0", "sqlserver-se"
				if g%2 == 1 {
					family, engine = "postgres16", "postgres"
				}
				name := fmt.Sprintf("app-%02d-%s", g, engine)
				if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(name),
					DBParameterGroupFamily: aws.String(family), Description: aws.String("bench")}); err != nil {
					tb{}.Fatalf("create group: %v", err)
				}
				var ps []rdstypes.Parameter
				for p := 0; p < params; p++ {
					pname, value := fmt.Sprintf("setting_%03d", p), "x"
					if p == params*2/3 {
						pname, value = "rds.force_ssl", fmt.Sprint(g%4/2) // half the groups on
					}
					ps = append(ps, rdstypes.Parameter{ParameterName: aws.String(pname), ParameterValue: aws.String(value),
						ApplyMethod: rdstypes.ApplyMethodPendingReboot, ApplyType: aws.String("static"), Source: aws.String("system")})
				}
				for i := 0; i < len(ps); i += 20 { // ModifyDBParameterGroup takes 20 at a time
					if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name),
						Parameters: ps[i:min(i+20, len(ps))]}); err != nil {
						tb{}.Fatalf("seed group: %v", err)
					}
				}
				names = append(names, name)
			}
			for i := ai; i < n; i += len(accounts) {
				g := names[(i/len(accounts))%len(names)]
				engine := "sqlserver-se"
				if strings.HasSuffix(g, "postgres") {
					engine = "postgres"
				}
				mototest.CreateInstance(tb{}, c, fmt.Sprintf("db-%04d", i), engine, g, nil)
			}
		}()
	}
	wg.Wait()
}
