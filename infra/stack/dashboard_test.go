package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/report"
)

// dashboardBody is the dashboard's JSON body with every CloudFormation
// token (they only occur inside JSON strings) replaced by "TOKEN".
func dashboardBody(t *testing.T, f *fixture) (map[string]any, string) {
	t.Helper()
	ds := f.resources("AWS::CloudWatch::Dashboard")
	if len(ds) != 1 {
		t.Fatalf("%d dashboards", len(ds))
	}
	var name any
	var b strings.Builder
	for _, d := range ds {
		props := d["Properties"].(map[string]any)
		name = props["DashboardName"]
		for _, part := range props["DashboardBody"].(map[string]any)["Fn::Join"].([]any)[1].([]any) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("TOKEN")
			}
		}
	}
	if !jsonEq(name, map[string]any{"Fn::Sub": "forcessl-${AWS::Region}"}) {
		t.Errorf("dashboard name = %v", name)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(b.String()), &body); err != nil {
		t.Fatalf("dashboard body: %v\n%s", err, b.String())
	}
	return body, b.String()
}

func TestEMFSchema(t *testing.T) {
	// GIVEN the engine's EMF renderer WHEN a line is read THEN this schema
	got := SweepMetrics()
	want := EMFSchema{
		Namespace:  "forcessl",
		Dimensions: [][]string{{"Account", "Region"}, {"Account"}},
		Metrics:    []string{"Compliant", "PendingReboot", "Remediated", "NonCompliant", "Exempt", "OutOfScope", "Failed", report.NotCoveredMetric},
	}
	if !jsonEq(got, want) {
		t.Errorf("EMF schema = %+v, want %+v", got, want)
	}
}

func TestDashboard(t *testing.T) {
	// GIVEN the default or a 12-hour sweep WHEN synthesized THEN totals and
	// by-account searches per sweep period, and every operational widget
	for _, tc := range []struct {
		f      *fixture
		period int
	}{{reportStack(t), 86400}, {sweepStack(t), 43200}} {
		body, raw := dashboardBody(t, tc.f)
		var exprs, titles []string
		byTitle := map[string][]string{} // a widget's expressions
		for _, w := range body["widgets"].([]any) {
			props := w.(map[string]any)["properties"].(map[string]any)
			title, _ := props["title"].(string)
			if title != "" {
				titles = append(titles, title)
			}
			metrics, _ := props["metrics"].([]any)
			for _, m := range metrics {
				for _, e := range m.([]any) {
					if o, ok := e.(map[string]any); ok && o["expression"] != nil {
						exprs = append(exprs, o["expression"].(string))
						byTitle[title] = append(byTitle[title], o["expression"].(string))
					}
				}
			}
		}
		p := fmt.Sprint(tc.period)
		total := func(m string) string {
			return `SUM(SEARCH('{forcessl,Account,Region} MetricName="` + m + `"', 'Maximum', ` + p + `))`
		}
		// Instances by state: exactly one total per report bucket, named
		// as the engine names it; NotCovered is not a state of instances.
		var states []string
		for _, b := range report.Buckets {
			states = append(states, total(report.MetricName(b)))
		}
		if got := byTitle["Instances by state (all accounts and regions)"]; !slices.Equal(got, states) {
			t.Errorf("instances by state = %v, want %v", got, states)
		}
		if got, want := byTitle["Latest sweep"], append(slices.Clone(states), total(report.NotCoveredMetric)); !slices.Equal(got, want) {
			t.Errorf("latest sweep = %v, want %v", got, want)
		}
		// Coverage: every account-region's NotCovered, and the alarm.
		if got := byTitle["Account-regions not covered (by account and region)"]; !slices.Equal(got, []string{
			`SEARCH('{forcessl,Account,Region} MetricName="NotCovered"', 'Maximum', ` + p + `)`}) {
			t.Errorf("coverage widget = %v", got)
		}
		if !strings.Contains(raw, `"annotations":{"alarms":["TOKEN"]}`) || !slices.Contains(titles, "Coverage alarm (any account-region not covered)") {
			t.Errorf("no coverage alarm widget in %s", raw)
		}
		for _, m := range []string{"NonCompliant", "PendingReboot", "Failed"} {
			if want := `SEARCH('{forcessl,Account} MetricName="` + m + `"', 'Sum', ` + p + `)`; !slices.Contains(exprs, want) {
				t.Errorf("no by-account search for %s in %v", m, exprs)
			}
		}
		for _, w := range []string{"Instances by state (all accounts and regions)", "Latest sweep", "Non-compliant instances by account",
			"Remediator invocations", "Remediator duration (ms)", "Remediator concurrent executions", "Sweep queue", "Dead-letter queues"} {
			if !slices.Contains(titles, w) {
				t.Errorf("no widget %q in %v", w, titles)
			}
		}
		for _, m := range []string{`"AWS/Lambda","Errors"`, `"AWS/Lambda","Throttles"`, `"AWS/Lambda","Duration"`,
			`"AWS/SQS","ApproximateAgeOfOldestMessage"`, `"AWS/SQS","ApproximateNumberOfMessagesVisible"`} {
			if !strings.Contains(raw, m) {
				t.Errorf("dashboard has no %s metric", m)
			}
		}
	}
}
