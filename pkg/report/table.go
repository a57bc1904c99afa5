package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
)

// Table writes the human report: counts per account and region, then the
// instances that need attention.
func Table(w io.Writer, r Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"ACCOUNT", "REGION"}
	for _, b := range Buckets {
		head = append(head, strings.ToUpper(string(b)))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	row := func(account, region string, counts map[Bucket]int, note string) {
		cells := []string{account, region}
		for _, b := range Buckets {
			cells = append(cells, fmt.Sprint(counts[b]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+note)
	}
	for _, it := range r.sorted() {
		note := ""
		if it.NotCovered {
			note = "\tNOT COVERED: " + it.Error
		} else if it.Error != "" {
			note = "\tERROR: " + it.Error
		}
		row(it.Account, it.Region, it.Counts, note)
	}
	row("TOTAL", "", r.Totals(), "")
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Resources: %s\n", Kinds(r.KindTotals()))
	if rings := r.Rings(); len(rings) > 0 {
		fmt.Fprintln(w, "Rings:")
		for _, a := range rings {
			fmt.Fprintf(w, "  %s  %s\n", a[0], a[1])
		}
	}
	var findings []Finding
	for _, it := range r.sorted() {
		findings = append(findings, it.Findings...)
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintf(w, "\nEvery resource in scope enforces TLS (mode %s).\n", r.Mode)
		return err
	}
	fmt.Fprintf(w, "\nNeeds attention (mode %s):\n", r.Mode)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tTYPE\tRESOURCE\tSTATE\tREBOOT\tREASON")
	for _, f := range findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Account, f.Region, typeOf(f.Kind), f.Instance, f.Bucket, when(f.RebootAt), f.Reason)
	}
	return tw.Flush()
}

// typeOf names a resource's type in tables: instance or cluster.
func typeOf(k plan.Kind) string {
	if k == plan.KindCluster {
		return "cluster"
	}
	return "instance"
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
