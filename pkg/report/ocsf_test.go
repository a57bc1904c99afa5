package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/ocsf"
	"github.com/forcessl/forcessl/pkg/report"
)

// ocsfTable is testdata/ocsf/required-1.1.0.json: the required attributes
// of OCSF 1.1.0's Compliance Finding and of the objects it carries, read
// from the schema by testdata/ocsf/extract.py.
type ocsfTable struct {
	Version string `json:"ocsf_version"`
	Class   struct {
		ClassUID    int `json:"class_uid"`
		CategoryUID int `json:"category_uid"`
	} `json:"class"`
	Events      map[string]ocsfRequired `json:"events"`
	Objects     map[string]ocsfRequired `json:"objects"`
	Enums       map[string][]int        `json:"enums"`
	ObjectTypes map[string]string       `json:"object_types"`
}

type ocsfRequired struct {
	Required    map[string]string `json:"required"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
	} `json:"constraints"`
}

func loadOCSFTable(t *testing.T) ocsfTable {
	t.Helper()
	b, err := os.ReadFile("testdata/ocsf/required-" + ocsf.Version + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var tab ocsfTable
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	if tab.Version != ocsf.Version {
		t.Fatalf("table is OCSF %s, records claim %s", tab.Version, ocsf.Version)
	}
	return tab
}

// kindOf is a JSON value's kind as the table names it.
func kindOf(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	}
	return "null"
}

// validateOCSF lists what makes rec an invalid OCSF 1.1.0 Compliance
// Finding: a required attribute missing or of the wrong kind (the class,
// its parents, the profiles it declares, each object it carries), a
// constraint broken, a classification or enumerated value wrong.
func validateOCSF(tab ocsfTable, rec map[string]any) []string {
	var errs []string
	need := func(where string, obj map[string]any, req ocsfRequired) {
		for name, kind := range req.Required {
			v, ok := obj[name]
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("%s: required %s missing", where, name))
			case kind != "any" && kindOf(v) != kind:
				errs = append(errs, fmt.Sprintf("%s: %s is %s, want %s", where, name, kindOf(v), kind))
			}
		}
		if c := req.Constraints.AtLeastOne; len(c) > 0 && !slices.ContainsFunc(c, func(n string) bool { _, ok := obj[n]; return ok }) {
			errs = append(errs, fmt.Sprintf("%s: needs at least one of %v", where, c))
		}
	}
	for _, ev := range []string{"base_event", "finding", "compliance_finding"} {
		need(ev, rec, tab.Events[ev])
	}
	if md, ok := rec["metadata"].(map[string]any); ok {
		profiles, _ := md["profiles"].([]any)
		for _, p := range profiles {
			req, ok := tab.Events["profile:"+p.(string)]
			if !ok {
				errs = append(errs, fmt.Sprintf("metadata.profiles: %v not in the table", p))
				continue
			}
			need("profile "+p.(string), rec, req)
		}
		if md["version"] != tab.Version {
			errs = append(errs, fmt.Sprintf("metadata.version %v, want %s", md["version"], tab.Version))
		}
	}
	for path, object := range tab.ObjectTypes {
		var vals []map[string]any
		if p, ok := strings.CutSuffix(path, "[]"); ok {
			list, _ := lookup(rec, p).([]any)
			for _, v := range list {
				m, _ := v.(map[string]any)
				vals = append(vals, m)
			}
		} else if m, ok := lookup(rec, path).(map[string]any); ok {
			vals = append(vals, m)
		}
		for _, v := range vals {
			need(path, v, tab.Objects[object])
		}
	}
	num := func(path string) int { f, _ := lookup(rec, path).(float64); return int(f) }
	if num("class_uid") != tab.Class.ClassUID || num("category_uid") != tab.Class.CategoryUID {
		errs = append(errs, fmt.Sprintf("class %d category %d", num("class_uid"), num("category_uid")))
	}
	if num("type_uid") != num("class_uid")*100+num("activity_id") {
		errs = append(errs, fmt.Sprintf("type_uid %d is not class_uid*100+activity_id", num("type_uid")))
	}
	for path, values := range tab.Enums {
		if lookup(rec, path) != nil && !slices.Contains(values, num(path)) {
			errs = append(errs, fmt.Sprintf("%s = %d, not one of %v", path, num(path), values))
		}
	}
	return errs
}

func lookup(rec map[string]any, path string) any {
	var v any = rec
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestOCSFRecordsValidate(t *testing.T) {
	tab := loadOCSFTable(t)
	var buf bytes.Buffer
	if err := ocsf.Write(&buf, report.Sample()); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, sc.Text())
		}
		recs = append(recs, rec)
		for _, e := range validateOCSF(tab, rec) {
			t.Errorf("%s: %s", lookup(rec, "finding_info.uid"), e)
		}
	}
	// One per resource and check: orders, billing, shop, cache and
	// payments have the TLS switch judged from their state; ledger and
	// audit-db carry two checks; legacy (exempt) and erp (out of scope)
	// none.
	if len(recs) != 9 {
		t.Fatalf("%d records, want 9", len(recs))
	}
	byID := map[string]map[string]any{}
	for _, rec := range recs {
		byID[lookup(rec, "finding_info.uid").(string)] = rec
	}
	if len(byID) != len(recs) {
		t.Errorf("finding_info.uid repeats: %d distinct of %d", len(byID), len(recs))
	}
	ca := byID["forcessl/arn:aws:rds:us-east-1:111111111111:db:audit-db/ca"]
	if ca == nil || lookup(ca, "compliance.status") != "Fail" || lookup(ca, "severity_id") != float64(3) ||
		lookup(ca, "compliance.status_detail") != "audit-db: certificate (rds-ca-2019) expired on 2024-08-22" {
		t.Errorf("the expired certificate is a failed check of medium severity (enforce mode, as in Security Hub) with its evidence: %v", ca)
	}
	ok := byID["forcessl/arn:aws:rds:us-east-1:111111111111:db:ledger/tls"]
	if ok == nil || lookup(ok, "compliance.status_id") != float64(1) || lookup(ok, "severity_id") != float64(1) {
		t.Errorf("ledger's TLS check passes: %v", ok)
	}
	pay := byID["forcessl/arn:aws:rds:eu-west-1:222222222222:cluster:payments/tls"]
	if pay == nil || lookup(pay, "resource.type") != "AWS::RDS::DBCluster" || lookup(pay, "compliance.status_code") != "fix-scheduled" ||
		lookup(pay, "resource.data.reboot_at") != "2026-11-29T05:00:00Z" || lookup(pay, "cloud.account.uid") != "222222222222" {
		t.Errorf("the cluster's pending fix: %v", pay)
	}
}

// The validator itself catches what it is there to catch.
func TestOCSFValidatorRejects(t *testing.T) {
	tab := loadOCSFTable(t)
	var buf bytes.Buffer
	if err := ocsf.Write(&buf, report.Sample()); err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	for name, spoil := range map[string]func(map[string]any){
		"no compliance": func(r map[string]any) { delete(r, "compliance") },
		"no standards":  func(r map[string]any) { delete(r["compliance"].(map[string]any), "standards") },
		"time as text":  func(r map[string]any) { r["time"] = "2026-11-26T10:00:00Z" },
		"wrong class":   func(r map[string]any) { r["class_uid"] = float64(2001) },
		"no vendor": func(r map[string]any) {
			delete(r["metadata"].(map[string]any)["product"].(map[string]any), "vendor_name")
		},
		"no cloud (profile)":  func(r map[string]any) { delete(r, "cloud") },
		"severity off enum":   func(r map[string]any) { r["severity_id"] = float64(7) },
		"resource unnamed":    func(r map[string]any) { r["resource"] = map[string]any{"type": "x"} },
		"finding_info no uid": func(r map[string]any) { delete(r["finding_info"].(map[string]any), "uid") },
	} {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		if errs := validateOCSF(tab, rec); len(errs) > 0 {
			t.Fatalf("the record is valid before %s: %v", name, errs)
		}
		spoil(rec)
		if len(validateOCSF(tab, rec)) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
