package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/result"
)

// CSV writes the report as one table a spreadsheet can filter: a
// "resource" row for every resource (compliant ones included), then a
// "summary" row of counts per account and region. Columns that do not apply
// to a row are empty.
func CSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	head := []string{"record", "account", "region", "kind", "resource", "state", "outcome", "reason", "reboot_at", "state_since", "last_action"}
	for _, b := range Buckets {
		head = append(head, strings.ReplaceAll(string(b), "-", "_"))
	}
	// checks comes last so the columns before it keep their places.
	head = append(head, "coverage", "error", "checks")
	if err := cw.Write(head); err != nil {
		return err
	}
	blank := make([]string, len(Buckets)+2)
	items := r.sorted()
	for _, it := range items {
		for _, f := range it.Resources {
			row := []string{"resource", f.Account, f.Region, string(f.Kind), f.Instance, string(f.Bucket), string(f.Outcome), f.Reason,
				stamp(f.RebootAt), stamp(f.Since), f.LastAction}
			if err := cw.Write(append(append(row, blank...), checks(f.Checks))); err != nil {
				return err
			}
		}
	}
	for _, it := range items {
		row := []string{"summary", it.Account, it.Region, "", "", "", "", "", "", "", ""}
		for _, b := range Buckets {
			row = append(row, strconv.Itoa(it.Counts[b]))
		}
		coverage := "covered"
		if it.NotCovered {
			coverage = "not-covered"
		}
		if err := cw.Write(append(row, coverage, it.Error, "")); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// checks writes a resource's checks as "tls=pass tls-profile=fail ca=pass"
// (pending: set, waiting for a restart).
func checks(cs []result.Check) string {
	var parts []string
	for _, c := range cs {
		verdict := "fail"
		switch {
		case c.Passed:
			verdict = "pass"
		case c.Pending:
			verdict = "pending"
		}
		parts = append(parts, c.Name+"="+verdict)
	}
	return strings.Join(parts, " ")
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
