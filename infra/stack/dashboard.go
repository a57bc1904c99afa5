package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/report"
)

// EMFSchema is what the engine's embedded-metric-format lines declare.
type EMFSchema struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []string // in report order
}

// SweepMetrics reads the schema from a line rendered by the engine itself
// (pkg/report.EMF), so the dashboard cannot drift from what the function
// publishes.
func SweepMetrics() EMFSchema {
	line, err := report.EMF(report.Item{Account: "000000000000", Region: "us-east-1"}, time.Unix(0, 0))
	if err != nil {
		panic(fmt.Errorf("render an EMF line: %w", err))
	}
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(line, &doc); err != nil || len(doc.AWS.CloudWatchMetrics) != 1 {
		panic(fmt.Errorf("unexpected EMF line %s: %v", line, err))
	}
	d := doc.AWS.CloudWatchMetrics[0]
	out := EMFSchema{Namespace: d.Namespace, Dimensions: d.Dimensions}
	for _, m := range d.Metrics {
		out.Metrics = append(out.Metrics, m.Name)
	}
	return out
}

// DashboardProps are what the dashboard shows.
type DashboardProps struct {
	Remediator *Remediator
	Sweep      *Sweep
	// ReservedConcurrency and SweepInterval (the period compliance counts
	// are aggregated over: one point per sweep) come from the settings.
	ReservedConcurrency int
	SweepInterval       time.Duration
}

// Dashboard is the CloudWatch dashboard "forcessl-<region>": sweep
// compliance, the function, the sweep queue and both dead-letter queues.
type Dashboard struct {
	constructs.Construct
	Board awscloudwatch.Dashboard // the construct's default child
}

// searchExpr is a CloudWatch SEARCH over the sweep metrics of one dimension
// set (e.g. "Account,Region").
func searchExpr(ns, dims, metric, stat string, period time.Duration) string {
	return fmt.Sprintf(`SEARCH('{%s,%s} MetricName="%s"', '%s', %d)`, ns, dims, metric, stat, int(period.Seconds()))
}

// NewDashboard builds the CloudWatch dashboard "forcessl-<region>"
// (dashboard names are account-wide; the region keeps one deployment per
// region apart, and all of a deployment's sweep metrics are published in
// its own region whatever region an item covered).
//
// Compliance counts: each work item logs the counts of its account-region
// once per sweep (with the dimension sets [Account, Region] and [Account]).
//   - Totals sum, over every account-region, the Maximum of the period (one
//     sweep): a retried item logged twice is not counted twice.
//   - "By account" uses the [Account] set: its Sum over the period adds the
//     account's regions (Maximum would show only its largest region); a
//     retried item does count twice there.
func NewDashboard(scope constructs.Construct, id string, props DashboardProps) *Dashboard {
	schema := SweepMetrics()
	fn := props.Remediator.Function
	sweepQueue, sweepDeadLetters := props.Sweep.Queue, props.Sweep.DeadLetters
	ns := schema.Namespace
	period := props.SweepInterval
	// Sweeps more often than hourly are shown hourly: a sweep of many
	// account-regions takes that long to drain anyway.
	if period < time.Hour {
		period = time.Hour
	}
	cdkPeriod := awscdk.Duration_Seconds(jsii.Number(period.Seconds()))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	expr := func(expression, label string) awscloudwatch.IMetric {
		p := &awscloudwatch.MathExpressionProps{
			Expression:   jsii.String(expression),
			UsingMetrics: &map[string]awscloudwatch.IMetric{},
			Period:       cdkPeriod,
		}
		if label != "" {
			p.Label = jsii.String(label)
		}
		return awscloudwatch.NewMathExpression(p)
	}
	// Instances by state: one metric per report bucket, as the engine names
	// it (report.MetricName); NotCovered counts account-regions, not
	// instances, and has widgets of its own.
	var totals []awscloudwatch.IMetric
	for _, b := range report.Buckets {
		m := report.MetricName(b)
		totals = append(totals, expr("SUM("+searchExpr(ns, "Account,Region", m, "Maximum", period)+")", m))
	}
	latest := append(slices.Clone(totals),
		expr("SUM("+searchExpr(ns, "Account,Region", report.NotCoveredMetric, "Maximum", period)+")", "Account-regions not covered"))
	byAccount := func(metric string) awscloudwatch.IMetric {
		return expr(searchExpr(ns, "Account", metric, "Sum", period), "")
	}
	sum := func(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five, Label: jsii.String(label)})
	}
	peak := func(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String(label)})
	}
	zero := &awscloudwatch.YAxisProps{Min: jsii.Number(0)}

	db := &Dashboard{Construct: constructs.NewConstruct(scope, &id)}
	d := awscloudwatch.NewDashboard(db.Construct, jsii.String("Default"), &awscloudwatch.DashboardProps{
		DashboardName:   awscdk.Fn_Sub(jsii.String("forcessl-${AWS::Region}"), nil),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(14)),
	})
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Width: jsii.Number(24), Height: jsii.Number(2),
		Markdown: jsii.String(fmt.Sprintf("## forcessl\n"+
			"Compliance from the reconciliation sweep (namespace `%s`, one point per %s). "+
			"Totals: the latest counts of every account and region, summed. By account: the sum of the account's "+
			"regions (a retried work item counts twice). An account-region forcessl could not read is not covered: "+
			"an alarm. Work items that failed 3 times wait in the sweep dead-letter queue.", ns, humanDuration(period))),
	}))
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Instances by state (all accounts and regions)"),
			Width: jsii.Number(16), Height: jsii.Number(6),
			Left: &totals, Stacked: jsii.Bool(true), Period: cdkPeriod, LeftYAxis: zero,
		}),
		awscloudwatch.NewSingleValueWidget(&awscloudwatch.SingleValueWidgetProps{
			Title: jsii.String("Latest sweep"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Metrics: &latest, Period: cdkPeriod,
		}),
	)
	// Coverage: an account-region forcessl could not read is a finding
	// (alarmed: Sweep.NotCoveredAlarm).
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Account-regions not covered (by account and region)"),
			Width: jsii.Number(16), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				expr(searchExpr(ns, "Account,Region", report.NotCoveredMetric, "Maximum", period), ""),
			},
			Period: cdkPeriod, LeftYAxis: zero,
		}),
		awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{
			Title: jsii.String("Coverage alarm (any account-region not covered)"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Alarm: props.Sweep.NotCoveredAlarm, LeftYAxis: zero,
		}),
	)
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Non-compliant instances by account"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{byAccount(report.MetricName(report.NonCompliant))}, Period: cdkPeriod, LeftYAxis: zero,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Pending reboot by account"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{byAccount(report.MetricName(report.PendingReboot))}, Period: cdkPeriod, LeftYAxis: zero,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Failed instances by account"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{byAccount(report.MetricName(report.Failed))}, Period: cdkPeriod, LeftYAxis: zero,
		}),
	)
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Remediator invocations"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				sum(fn.MetricInvocations(nil), "Invocations"),
				sum(fn.MetricErrors(nil), "Errors"),
				sum(fn.MetricThrottles(nil), "Throttles"),
			},
			LeftYAxis: zero,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Remediator duration (ms)"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				peak(fn.MetricDuration(nil), "Maximum"),
				fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p50"), Period: five, Label: jsii.String("p50")}),
			},
			LeftYAxis: zero,
			LeftAnnotations: &[]*awscloudwatch.HorizontalAnnotation{{
				Value: jsii.Number(float64(functionTimeout.Milliseconds())), Label: jsii.String("timeout"),
			}},
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Remediator concurrent executions"),
			Width: jsii.Number(8), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				peak(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
					Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String("ConcurrentExecutions"),
					DimensionsMap: &map[string]*string{"FunctionName": fn.FunctionName()},
				}), "Concurrent executions"),
			},
			LeftYAxis: zero,
			LeftAnnotations: &[]*awscloudwatch.HorizontalAnnotation{{
				Value: jsii.Number(float64(props.ReservedConcurrency)), Label: jsii.String("reserved concurrency"),
			}},
		}),
	)
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Sweep queue"),
			Width: jsii.Number(12), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				peak(sweepQueue.MetricApproximateNumberOfMessagesVisible(nil), "Waiting work items"),
				peak(sweepQueue.MetricApproximateNumberOfMessagesNotVisible(nil), "Work items in flight"),
			},
			Right: &[]awscloudwatch.IMetric{
				peak(sweepQueue.MetricApproximateAgeOfOldestMessage(nil), "Age of oldest item (s)"),
			},
			LeftYAxis: zero, RightYAxis: zero,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Dead-letter queues"),
			Width: jsii.Number(12), Height: jsii.Number(6),
			Left: &[]awscloudwatch.IMetric{
				peak(sweepDeadLetters.MetricApproximateNumberOfMessagesVisible(nil), "Sweep work items"),
				peak(props.Remediator.DeadLetters.MetricApproximateNumberOfMessagesVisible(nil), "Events"),
			},
			LeftYAxis: zero,
		}),
	)
	db.Board = d
	return db
}

// humanDuration renders whole days, hours or minutes ("1 day", "12 hours").
func humanDuration(d time.Duration) string {
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"day", 24 * time.Hour}, {"hour", time.Hour}, {"minute", time.Minute}} {
		if d%u.d == 0 {
			n := int(d / u.d)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return d.String()
}
