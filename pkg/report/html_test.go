package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// injection is a resource name that would end the data's script element
// and run its own if the page embedded names unescaped.
const injection = `evil</script><script>document.title="pwned"</script><!--`

// synth is a report of accounts × regions account-regions holding total
// resources between them, in a deterministic mix of states, engines, checks
// and reboots; the first account's last region is not covered.
func synth(accounts, regions, total int) Report {
	regionNames := []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "sa-east-1"}
	engines := []struct {
		kind   plan.Kind
		engine string
	}{
		{plan.KindInstance, "postgres"}, {plan.KindInstance, "mysql"}, {plan.KindInstance, "sqlserver-se"},
		{plan.KindCluster, "aurora-postgresql"}, {plan.KindInstance, "mariadb"}, {plan.KindCluster, "aurora-mysql"},
	}
	start := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	rep := Report{SweepID: start.Format(time.RFC3339), Mode: policy.ModeReport, Duration: 41 * time.Second}
	n := 0
	covered := accounts*regions - 1
	left := total
	for a := range accounts {
		account := fmt.Sprintf("%012d", 100000000000+a*7919)
		for g := range regions {
			region := regionNames[g%len(regionNames)]
			if a == 0 && g == regions-1 && regions > 1 {
				rep.Items = append(rep.Items, FromResult(account, region, result.Result{},
					fmt.Errorf("assume role arn:aws:iam::%s:role/forcessl-member: AccessDenied", account)))
				rep.Items[len(rep.Items)-1].NotCovered = true
				continue
			}
			var res result.Result
			perItem := left / covered
			if left%covered != 0 {
				perItem++
			}
			left, covered = left-perItem, covered-1
			for i := range perItem {
				n++
				e := engines[n%len(engines)]
				name := fmt.Sprintf("%s-%s-%05d", []string{"orders", "ledger", "billing", "shop", "audit", "crm", "search"}[n%7], e.engine, n)
				if n == 7 {
					name = injection
				}
				arnKind := "db"
				if e.kind == plan.KindCluster {
					arnKind = "cluster"
				}
				r := result.Resource{Kind: e.kind, Name: name, Engine: e.engine, ARN: "arn:aws:rds:" + region + ":" + account + ":" + arnKind + ":" + name,
					Group: "forcessl-" + e.engine, Window: []string{"sun:05:00-sun:05:30", "sat:22:00-sat:22:30", "wed:03:00-wed:03:30"}[n%3],
					State: plan.Compliant, Outcome: plan.OutcomeNone, Reason: "rds.force_ssl=1 in forcessl-" + e.engine + " and in effect",
					Checks: []result.Check{{Name: result.CheckTLS, Passed: true}, {Name: result.CheckCA, Passed: true}}}
				switch k := (n * 37) % 100; {
				case k < 8:
					r.State, r.Reason = plan.NonCompliant, "rds.force_ssl is 0 in parameter group default."+e.engine
					r.Checks[0] = result.Check{Name: result.CheckTLS, Detail: r.Reason}
				case k < 13:
					at := start.Add(time.Duration(24+i%120) * time.Hour).Truncate(30 * time.Minute)
					r.State, r.RebootAt, r.Reason = plan.CompliantPendingReboot, &at, "rds.force_ssl=1 in forcessl-"+e.engine+", pending reboot"
					r.Checks[0] = result.Check{Name: result.CheckTLS, Passed: true, Pending: true, Detail: "set, waiting for a restart"}
				case k < 16:
					r.State, r.Checks, r.Reason = plan.Exempt, nil, "tagged forcessl:exempt=true"
				case k < 18:
					r.State, r.Checks, r.Reason = plan.OutOfScope, nil, "engine not in scope"
				case k < 19:
					r.State, r.Outcome, r.Error = plan.NonCompliant, plan.OutcomeFailed, "describe parameters: api error Throttling: Rate exceeded"
				case k < 23:
					detail := name + ": certificate (rds-ca-2019) expired on 2024-08-22"
					r.Checks[1] = result.Check{Name: result.CheckCA, Detail: detail}
					r.Outcome, r.Reason = plan.OutcomeCAFinding, "rds.force_ssl=1 and in effect; server certificate: "+detail
				}
				res.Resources = append(res.Resources, r)
			}
			rep.Items = append(rep.Items, FromResult(account, region, res, nil))
		}
	}
	return rep
}

var dataScript = regexp.MustCompile(`(?s)<script type="application/json" id="forcessl-data">(.*?)</script>`)

func TestHTMLEmbedsTheDataOnceAndSafely(t *testing.T) {
	rep := synth(4, 2, 40)
	rep.SweepID += "_9a1b2c3d-event" // a sweep named after its start event
	var buf bytes.Buffer
	if err := HTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "</script><script>document.title") {
		t.Fatal("a resource name closed the data's script element")
	}
	m := dataScript.FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("%d data scripts, want 1", len(m))
	}
	var d htmlData
	if err := json.Unmarshal([]byte(m[0][1]), &d); err != nil {
		t.Fatalf("the embedded data is not JSON: %v", err)
	}
	if d.Started != "2026-12-07T06:00:00Z" || d.SweepID != rep.SweepID {
		t.Errorf("started %q, sweep %q: want the start time and the whole ID", d.Started, d.SweepID)
	}
	total := 0
	for _, it := range rep.Items {
		total += len(it.Resources)
	}
	if len(d.R) != total || len(d.Items) != len(rep.Items) {
		t.Fatalf("%d resources and %d items embedded, want %d and %d", len(d.R), len(d.Items), total, len(rep.Items))
	}
	names := map[string]bool{}
	for _, r := range d.R {
		names[d.S[int(r[3].(float64))]] = true
	}
	if !names[injection] {
		t.Error("the hostile name does not survive as text")
	}
	// Every name appears once in the page: in the data, not as markup.
	if c := strings.Count(page, "ledger-mysql-00001"); c != 1 {
		t.Errorf("a resource name appears %d times in the page, want once (in the data)", c)
	}
	// (http:// appears as the SVG namespace, which is a name, not a fetch.)
	for _, fetch := range []string{"https://", "src=\"", "@import", "url(http"} {
		if strings.Contains(page, fetch) {
			t.Errorf("the page refers to %q: it must not fetch anything", fetch)
		}
	}
}

func TestHTMLSizeAt20000(t *testing.T) {
	rep := synth(20, 4, 20000)
	var buf bytes.Buffer
	if err := HTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("20,000 resources: %d bytes", buf.Len())
	if buf.Len() >= 10<<20 {
		t.Errorf("%d bytes, want under 10 MB", buf.Len())
	}
}
