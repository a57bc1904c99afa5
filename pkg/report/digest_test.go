package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// snsSize is what SNS counts for m, computed here from Body() and the
// attributes rather than through Message.Size.
func snsSize(t *testing.T, m notify.Message) int {
	t.Helper()
	body, err := m.Body()
	if err != nil {
		t.Fatal(err)
	}
	n := len(body)
	for k, v := range m.Attributes {
		n += len(k) + len("String") + len(v)
	}
	return n
}

// shape describes a generated sweep.
type shape struct {
	accounts, regions   int    // account-regions = accounts * regions
	findings, compliant int    // per account-region
	errLen, reasonLen   int    // bytes of each sweep error and reason; 0: none
	nameLen             int    // bytes of account and region names; 0: real ones
	filler              string // what long strings are made of
}

func pad(prefix string, n int, filler string) string {
	if n <= len(prefix) {
		return prefix
	}
	return prefix + strings.Repeat(filler, (n-len(prefix))/len(filler)+1)[:n-len(prefix)]
}

func generate(s shape) Report {
	var items []Item
	reason := pad("rds.force_ssl is 0: ", s.reasonLen, s.filler) // shared: a worst case is 70 MB of reasons otherwise
	buckets := []plan.Outcome{plan.OutcomeNone, plan.OutcomeRefused, plan.OutcomeFailed}
	for a := 0; a < s.accounts; a++ {
		account := fmt.Sprintf("%012d", 100000000000+a)
		if s.nameLen > 0 {
			account = pad(account+"-", s.nameLen, s.filler)
		}
		for g := 0; g < s.regions; g++ {
			region := fmt.Sprintf("xx-test-%d", g+1)
			if s.nameLen > 0 {
				region = pad(region+"-", s.nameLen, s.filler)
			}
			var res result.Result
			for i := 0; i < s.findings; i++ {
				rr := result.Resource{Kind: plan.KindInstance, Name: pad(fmt.Sprintf("db-%04d-", i), 63, "x"), State: plan.NonCompliant,
					Outcome: buckets[i%len(buckets)], Reason: reason}
				switch i % 4 {
				case 1:
					rr.State, rr.RebootAt = plan.CompliantPendingReboot, &reboot
				case 2:
					rr.Outcome, rr.Changed = plan.OutcomeRemediated, []string{"x"}
				}
				res.Resources = append(res.Resources, rr)
			}
			for i := 0; i < s.compliant; i++ {
				res.Resources = append(res.Resources, result.Resource{Kind: plan.KindInstance, Name: fmt.Sprintf("ok-%04d", i), State: plan.Compliant})
			}
			var err error
			if s.errLen > 0 {
				err = fmt.Errorf("%s", pad("describe instances: ", s.errLen, s.filler))
			}
			items = append(items, FromResult(account, region, res, err))
		}
	}
	return Report{SweepID: "2026-11-26T10:00:00Z", Mode: policy.ModeReport, Items: items}
}

var (
	regionMoreRE  = regexp.MustCompile(`(?m)^    … and (\d+) more in this region$`)
	accountMoreRE = regexp.MustCompile(`(?m)^  … and (\d+) more region\(s\) in this account$`)
	accountsRE    = regexp.MustCompile(`(?m)^… and (\d+) more account\(s\)$`)
	footerRE      = regexp.MustCompile(`(?m)^Not listed in this message: (\d+) account-region\(s\), (\d+) sweep error\(s\), (\d+) instance\(s\) needing attention\. The full report is in the sweep's JSON/CSV output \(forcessl audit --format json\)\.$`)
	chatMoreRE    = regexp.MustCompile(`… and (\d+) more\. The full report`)
)

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sum(t *testing.T, re *regexp.Regexp, s string) int {
	n := 0
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		n += atoi(t, m[1])
	}
	return n
}

// checkDigest asserts what holds for every digest: it fits SNS, the totals
// line is first, every part is valid, and what is listed plus what the
// "… and N more" lines count is the whole report.
func checkDigest(t *testing.T, r Report, m notify.Message) {
	t.Helper()
	if n := snsSize(t, m); n > notify.MaxPublishBytes {
		t.Errorf("message is %d bytes, over SNS's %d", n, notify.MaxPublishBytes)
	}
	for i := 0; i < len(m.Subject); i++ {
		if m.Subject[i] < 0x20 || m.Subject[i] > 0x7e {
			t.Fatalf("subject %q is not printable ASCII", m.Subject)
		}
	}
	if len(m.Subject) > notify.MaxSubject {
		t.Errorf("subject %q is %d bytes", m.Subject, len(m.Subject))
	}

	tot := r.Totals()
	accounts, errors, findings := map[string]int{}, 0, 0
	for _, it := range r.Items {
		accounts[it.Account]++
		findings += len(it.Findings)
		if it.Error != "" {
			errors++
		}
	}
	totals := fmt.Sprintf("TLS sweep: %d need attention, %d remediated, %d compliant in %d account(s)",
		tot[NonCompliant]+tot[PendingReboot]+tot[Failed], tot[Remediated], tot[Compliant], len(accounts))
	if !strings.HasPrefix(m.Email, totals+"\n") {
		t.Errorf("the email does not start with the totals line %q", totals)
	}

	var listedFindings, listedErrors, listedRegions, listedAccounts int
	for _, l := range strings.Split(m.Email, "\n") {
		switch {
		case strings.HasPrefix(l, "    - "):
			listedFindings++
		case strings.HasPrefix(l, "    sweep failed here: "):
			listedErrors++
		case strings.HasPrefix(l, "Account "):
			listedAccounts++
		case strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && !strings.HasPrefix(l, "  …"):
			listedRegions++
		}
	}
	hiddenRegions, hiddenErrors, hiddenFindings := 0, 0, 0
	if f := footerRE.FindStringSubmatch(m.Email); f != nil {
		hiddenRegions, hiddenErrors, hiddenFindings = atoi(t, f[1]), atoi(t, f[2]), atoi(t, f[3])
	} else if strings.Contains(m.Email, "Not listed") || strings.Contains(m.Email, "… and") {
		t.Errorf("the email leaves things out without the footer:\n%s", m.Email)
	}
	if listedFindings+hiddenFindings != findings {
		t.Errorf("email lists %d instances and leaves out %d, the report has %d", listedFindings, hiddenFindings, findings)
	}
	if listedFindings > maxEmailFindings {
		t.Errorf("email lists %d instances, more than %d", listedFindings, maxEmailFindings)
	}
	if inRegions := sum(t, regionMoreRE, m.Email); inRegions > hiddenFindings {
		t.Errorf("regions leave out %d instances, the footer says %d", inRegions, hiddenFindings)
	}
	if listedErrors+hiddenErrors != errors {
		t.Errorf("email lists %d errors and leaves out %d, the report has %d", listedErrors, hiddenErrors, errors)
	}
	if listedRegions+hiddenRegions != len(r.Items) {
		t.Errorf("email lists %d account-regions and leaves out %d, the report has %d", listedRegions, hiddenRegions, len(r.Items))
	}
	hiddenAccounts := 0
	if a := accountsRE.FindStringSubmatch(m.Email); a != nil {
		hiddenAccounts = atoi(t, a[1])
	}
	if listedAccounts+hiddenAccounts != len(accounts) {
		t.Errorf("email lists %d accounts and leaves out %d, the report has %d", listedAccounts, hiddenAccounts, len(accounts))
	}
	if inAccounts := sum(t, accountMoreRE, m.Email); inAccounts > hiddenRegions || (hiddenAccounts == 0 && inAccounts != hiddenRegions) {
		t.Errorf("accounts leave out %d regions, the footer says %d", inAccounts, hiddenRegions)
	}

	var c struct {
		Version string
		Source  string
		Content struct{ Title, Description string }
	}
	if err := json.Unmarshal(m.Chatbot, &c); err != nil || c.Version != "1.0" || c.Source != "custom" || c.Content.Title != totals {
		t.Errorf("chat %s: %v", m.Chatbot, err)
	}
	chatLines := strings.Count(c.Content.Description, "\n")
	more := 0
	if mm := chatMoreRE.FindStringSubmatch(c.Content.Description); mm != nil {
		more, chatLines = atoi(t, mm[1]), chatLines-1
	}
	if chatLines+more != errors+findings {
		t.Errorf("chat lists %d and leaves out %d, the report has %d errors and instances", chatLines, more, errors+findings)
	}

	var rec struct {
		Truncated       bool
		Totals          map[Bucket]int
		Accounts        []accountSummary
		AccountsOmitted int
	}
	if err := json.Unmarshal(m.Record, &rec); err != nil {
		t.Fatalf("record is not JSON: %v", err)
	}
	if !rec.Truncated {
		full, _ := JSON(r)
		if !bytes.Equal(m.Record, full) {
			t.Error("an untruncated record must be the JSON report")
		}
		return
	}
	if len(rec.Accounts)+rec.AccountsOmitted != len(accounts) {
		t.Errorf("record lists %d accounts and omits %d, the report has %d", len(rec.Accounts), rec.AccountsOmitted, len(accounts))
	}
	for b, n := range tot {
		if rec.Totals[b] != n {
			t.Errorf("record total %s = %d, want %d", b, rec.Totals[b], n)
		}
	}
	for _, a := range rec.Accounts {
		if a.Regions != accounts[a.Account] {
			t.Errorf("record: account %q has %d regions, want %d", a.Account, a.Regions, accounts[a.Account])
		}
	}
}

// The worst case and its variants: 720 account-regions, each with a
// 1 KB sweep error and 100 instances needing attention with 1 KB reasons,
// 200-byte account and region names; text that JSON escapes to six times
// its size, multi-byte text, control characters.
func TestDigestWorstCase(t *testing.T) {
	worst := shape{accounts: 360, regions: 2, findings: 100, compliant: 20, errLen: 1024, reasonLen: 1024, nameLen: 200, filler: "access denied "}
	with := func(f func(*shape)) shape { s := worst; f(&s); return s }
	tests := map[string]shape{
		"worst case":                  worst,
		"text JSON escapes":           with(func(s *shape) { s.filler = `<&"\` }),
		"multi-byte text":             with(func(s *shape) { s.filler = "é…日本" }),
		"control characters":          with(func(s *shape) { s.filler = "\x01\n\t\x7f" }),
		"720 accounts of one region":  with(func(s *shape) { s.accounts, s.regions = 720, 1 }),
		"errors only":                 with(func(s *shape) { s.findings = 0 }),
		"findings only":               with(func(s *shape) { s.errLen = 0 }),
		"real names":                  with(func(s *shape) { s.nameLen = 0 }),
		"compliant resources only":    {accounts: 360, regions: 2, compliant: 200},
		"one region, 50000 instances": {accounts: 1, regions: 1, findings: 50000, reasonLen: 1024, filler: "x"},
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := generate(s)
			m, err := Digest(r)
			if err != nil {
				t.Fatal(err)
			}
			checkDigest(t, r, m)
			t.Logf("%s: %d bytes of %d (as sent: email %d twice, chat %d, record %d twice)", name, snsSize(t, m), notify.MaxPublishBytes,
				cost(m.Email), cost(string(m.Chatbot)), cost(string(m.Record)))
		})
	}
}

// naturalSize is what the message would weigh with nothing left out.
func naturalSize(t *testing.T, r Report) int {
	t.Helper()
	unlimited := limits{email: 1 << 40, chat: 1 << 40, findings: 1 << 30, chatLines: 1 << 30, errorShare: 100}
	m, err := digest(r, unlimited)
	if err != nil {
		t.Fatal(err)
	}
	if m.Record, err = JSON(r); err != nil {
		t.Fatal(err)
	}
	return snsSize(t, m)
}

// Reports whose whole digest would weigh just under and just over SNS's
// limit: every one fits, and says what it left out.
func TestDigestAroundTheLimit(t *testing.T) {
	for _, base := range []shape{
		{accounts: 1, regions: 1, findings: 1, reasonLen: 300, filler: "rds.force_ssl is 0 "},
		{accounts: 1, regions: 2, findings: 1, compliant: 5, errLen: 400, reasonLen: 100, filler: "<&>"},
	} {
		grow := func(n int) Report { s := base; s.accounts = n; return generate(s) }
		lo, hi := 1, 1
		for naturalSize(t, grow(hi)) <= notify.MaxPublishBytes {
			lo, hi = hi, hi*2
		}
		for hi-lo > 1 { // lo: the most accounts whose whole digest fits
			if mid := (lo + hi) / 2; naturalSize(t, grow(mid)) <= notify.MaxPublishBytes {
				lo = mid
			} else {
				hi = mid
			}
		}
		for n := max(lo-2, 1); n <= lo+3; n++ {
			t.Run(fmt.Sprintf("%d accounts of %d regions", n, base.regions), func(t *testing.T) {
				r := grow(n)
				m, err := Digest(r)
				if err != nil {
					t.Fatal(err)
				}
				checkDigest(t, r, m)
				t.Logf("whole digest %d bytes, sent %d", naturalSize(t, r), snsSize(t, m))
			})
		}
	}
}

func countsReport() Report {
	return Report{SweepID: "2026-11-26T10:00:00Z", Mode: policy.ModeEnforce, Items: []Item{
		FromResult("111111111111", "eu-west-1", result.Result{}, fmt.Errorf("describe instances: api error AccessDenied")),
		FromResult("111111111111", "us-east-1", result.Result{Resources: []result.Resource{
			{Kind: plan.KindInstance, Name: "orders", State: plan.NonCompliant, Outcome: plan.OutcomeRemediated, Reason: "rds.force_ssl is 0", Changed: []string{"x"}, RebootAt: &reboot},
			{Kind: plan.KindInstance, Name: "cache", State: plan.NonCompliant, Outcome: plan.OutcomeFailed, Error: "api error DBParameterGroupQuotaExceeded"},
			{Kind: plan.KindInstance, Name: "shop", State: plan.NonCompliant, Outcome: plan.OutcomeRefused, Reason: "forcessl-shop exists in another family"},
		}}, nil),
		FromResult("222222222222", "eu-west-1", result.Result{Resources: []result.Resource{
			{Kind: plan.KindInstance, Name: "billing", State: plan.CompliantPendingReboot, Reason: "pending reboot", RebootAt: &reboot},
			{Kind: plan.KindInstance, Name: "ledger", State: plan.CompliantPendingReboot, Reason: "pending reboot", RebootAt: &reboot},
		}}, nil),
		FromResult("333333333333", "eu-west-1", result.Result{Resources: []result.Resource{{Kind: plan.KindInstance, Name: "erp", State: plan.Compliant}}}, nil),
	}}
}

// What a cut digest says, with limits small enough to cut a small report:
// errors first, then failed and non-compliant instances, and the "… and N
// more" counts add up.
func TestDigestLeavesOutInOrder(t *testing.T) {
	tests := []struct {
		name            string
		lim             limits
		golden          string
		listed, notlist []string
		footer          [3]int // account-regions, errors, instances not listed
		chatMore        int
	}{
		{"two instances, two chat lines", limits{email: 80 << 10, chat: 8 << 10, findings: 2, chatLines: 2, errorShare: 40}, "digest-cut-by-count.txt",
			[]string{"sweep failed here: describe instances", "- cache [failed]", "- shop [non-compliant]", "    … and 1 more in this region", "    … and 2 more in this region", "  eu-west-1: 1 compliant"},
			[]string{"- orders", "- billing", "more account(s)"}, [3]int{0, 0, 3}, 4},
		{"no room but for the totals", limits{email: 0, chat: 0, findings: 200, chatLines: 20, errorShare: 40}, "digest-cut-by-bytes.txt",
			nil, []string{"Account ", "- ", "sweep failed here"}, [3]int{4, 1, 5}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := countsReport()
			m, err := digest(r, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			checkDigest(t, r, m)
			var chat bytes.Buffer
			if err := json.Indent(&chat, m.Chatbot, "", "  "); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, []byte("Subject: "+m.Subject+"\n\n"+m.Email+"\n--- chatbot ---\n"+chat.String()+"\n"))
			for _, s := range tt.listed {
				if !strings.Contains(m.Email, s) {
					t.Errorf("email lacks %q", s)
				}
			}
			for _, s := range tt.notlist {
				if strings.Contains(m.Email, s) {
					t.Errorf("email has %q", s)
				}
			}
			f := footerRE.FindStringSubmatch(m.Email)
			if f == nil || atoi(t, f[1]) != tt.footer[0] || atoi(t, f[2]) != tt.footer[1] || atoi(t, f[3]) != tt.footer[2] {
				t.Errorf("footer %q, want %v", f, tt.footer)
			}
			if mm := chatMoreRE.FindStringSubmatch(string(m.Chatbot)); mm == nil || atoi(t, mm[1]) != tt.chatMore {
				t.Errorf("chat says %q more, want %d", mm, tt.chatMore)
			}
		})
	}
}

// Small reports are sent whole: the goldens of TestRenderings show the text;
// here, nothing says it was cut and the record is the JSON report.
func TestDigestSmallReportWhole(t *testing.T) {
	for name, r := range map[string]Report{"sample": sample(), "counts": countsReport()} {
		t.Run(name, func(t *testing.T) {
			m, err := Digest(r)
			if err != nil {
				t.Fatal(err)
			}
			checkDigest(t, r, m)
			full, _ := JSON(r)
			if strings.Contains(m.Email, "… and") || strings.Contains(m.Email, "Not listed") || !bytes.Equal(m.Record, full) {
				t.Errorf("a small report was cut:\n%s", m.Email)
			}
		})
	}
}

// The digest's subject is an SNS subject like every other: ASCII, at most
// notify.MaxSubject bytes, cut with "...".
func TestDigestSubject(t *testing.T) {
	huge := map[Bucket]int{NonCompliant: 1234567890, Remediated: 1234567890, Compliant: 1234567890}
	var items []Item
	for i := 0; i < 12; i++ {
		items = append(items, Item{Account: fmt.Sprintf("%012d", i), Region: "eu-west-1", Counts: huge})
	}
	for name, r := range map[string]Report{"sample": sample(), "huge counts": {SweepID: "s", Mode: policy.ModeEnforce, Items: items}} {
		t.Run(name, func(t *testing.T) {
			m, err := Digest(r)
			if err != nil {
				t.Fatal(err)
			}
			checkDigest(t, r, m)
			if !strings.HasPrefix(m.Subject, "[forcessl] TLS sweep: ") || strings.Contains(m.Subject, "…") {
				t.Errorf("subject %q", m.Subject)
			}
			t.Logf("%q (%d bytes)", m.Subject, len(m.Subject))
		})
	}
}
