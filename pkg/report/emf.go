package report

import (
	"encoding/json"
	"strings"
	"time"
)

// NotCoveredMetric is 1 for an account-region forcessl could not read, 0
// otherwise: what the CDK app's coverage alarm watches.
const NotCoveredMetric = "NotCovered"

// EMF renders one CloudWatch embedded-metric-format log line for an item:
// counts by state, and whether it was covered, with dimensions
// account+region and account.
func EMF(it Item, now time.Time) ([]byte, error) {
	metrics := []map[string]string{}
	line := map[string]any{"Account": it.Account, "Region": it.Region}
	for _, b := range Buckets {
		name := MetricName(b)
		metrics = append(metrics, map[string]string{"Name": name, "Unit": "Count"})
		line[name] = it.Counts[b]
	}
	metrics = append(metrics, map[string]string{"Name": NotCoveredMetric, "Unit": "Count"})
	line[NotCoveredMetric] = 0
	if it.NotCovered {
		line[NotCoveredMetric] = 1
	}
	line["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  "forcessl",
			"Dimensions": [][]string{{"Account", "Region"}, {"Account"}},
			"Metrics":    metrics,
		}},
	}
	return json.Marshal(line)
}

// MetricName is the CloudWatch metric name of a bucket: "non-compliant"
// becomes "NonCompliant".
func MetricName(b Bucket) string {
	var out strings.Builder
	for _, part := range strings.Split(string(b), "-") {
		out.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return out.String()
}
