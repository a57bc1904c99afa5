package report

import (
	"bytes"
	"strings"
	"testing"
)

// With rings, the table lists each account's ring once and the JSON
// carries it per item; without, neither says anything of rings.
func TestRingsInTheReport(t *testing.T) {
	r := Report{SweepID: "s", Mode: "enforce", Items: []Item{
		{Account: "222222222222", Region: "us-east-1", Ring: "report"},
		{Account: "111111111111", Region: "eu-west-1", Ring: "enforce (listed)"},
		{Account: "222222222222", Region: "eu-west-1", Ring: "report"},
	}}
	var b bytes.Buffer
	if err := Table(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Rings:\n  111111111111  enforce (listed)\n  222222222222  report\n") {
		t.Errorf("table:\n%s", b.String())
	}
	j, err := JSON(r)
	if err != nil || strings.Count(string(j), `"ring":`) != 3 {
		t.Errorf("JSON (%v): %s", err, j)
	}
	for i := range r.Items {
		r.Items[i].Ring = ""
	}
	b.Reset()
	if err := Table(&b, r); err != nil || strings.Contains(b.String(), "Rings") {
		t.Errorf("no rings, yet (%v):\n%s", err, b.String())
	}
	if j, _ := JSON(r); bytes.Contains(j, []byte(`"ring"`)) {
		t.Errorf("no rings, yet: %s", j)
	}
}
