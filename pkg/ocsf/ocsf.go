// Package ocsf renders a sweep's report as OCSF Compliance Findings. It is
// apart from pkg/report because it builds on the Security Hub findings
// (pkg/asff, which links the SDK's Security Hub types), and the CDK app,
// which reads pkg/report's metric names, must link no SDK service package.
package ocsf

import (
	"encoding/json"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/result"
)

// Version is the OCSF schema version the records follow
// (https://schema.ocsf.io/1.1.0/classes/compliance_finding); its required
// attributes are in pkg/report/testdata/ocsf/required-1.1.0.json, read from the
// schema's v1.1.0 tag, and every record is validated against them in the
// tests.
const Version = "1.1.0"

// Compliance Finding's place in OCSF 1.1.0 (events/findings/compliance_finding.json:
// class 3 of category 2, Findings; type_uid = class_uid*100 + activity_id).
const (
	ocsfCategory       = 2
	ocsfClass          = 2003
	ocsfActivityNew    = 1 // Create: each record is the finding as this sweep made it
	ocsfStandard       = "forcessl: TLS enforced on Amazon RDS"
	ocsfAccountAWS     = 10 // account.type_id "AWS Account"
	ocsfCompliancePass = 1
	ocsfComplianceFail = 3
)

type ocsfRecord struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	Time         int64  `json:"time"`
	Message      string `json:"message"`
	Metadata     struct {
		Version  string   `json:"version"`
		Profiles []string `json:"profiles"`
		Product  struct {
			Name       string `json:"name"`
			VendorName string `json:"vendor_name"`
		} `json:"product"`
	} `json:"metadata"`
	Cloud struct {
		Provider string `json:"provider"`
		Region   string `json:"region"`
		Account  struct {
			UID    string `json:"uid"`
			TypeID int    `json:"type_id"`
			Type   string `json:"type"`
		} `json:"account"`
	} `json:"cloud"`
	FindingInfo struct {
		UID           string   `json:"uid"`
		Title         string   `json:"title"`
		Desc          string   `json:"desc"`
		Types         []string `json:"types"`
		FirstSeenTime int64    `json:"first_seen_time,omitempty"`
	} `json:"finding_info"`
	Compliance struct {
		Standards    []string `json:"standards"`
		Control      string   `json:"control"`
		Requirements []string `json:"requirements,omitempty"`
		StatusID     int      `json:"status_id"`
		Status       string   `json:"status"`
		StatusCode   string   `json:"status_code"`
		StatusDetail string   `json:"status_detail"`
	} `json:"compliance"`
	Resource    ocsfResource `json:"resource"`
	Remediation struct {
		Desc       string   `json:"desc"`
		References []string `json:"references,omitempty"`
	} `json:"remediation"`
	Unmapped ocsfUnmapped `json:"unmapped"`
}

type ocsfResource struct {
	UID            string            `json:"uid"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Region         string            `json:"region"`
	CloudPartition string            `json:"cloud_partition"`
	Group          *ocsfGroup        `json:"group,omitempty"`
	Data           map[string]string `json:"data,omitempty"`
}

type ocsfGroup struct {
	Name string `json:"name"`
}

// ocsfUnmapped is what has no OCSF attribute: forcessl's own view.
type ocsfUnmapped struct {
	SweepID string `json:"sweep_id"`
	Mode    string `json:"mode"`
	State   string `json:"state"`
	Outcome string `json:"outcome,omitempty"`
}

// Write writes the report as OCSF JSON Lines: one Compliance Finding per
// resource and check, the same findings forcessl imports into Security Hub
// (asff.Findings: exempt, out-of-scope and vanished resources have none),
// with the same title, severity, status and recommendation. time is the
// sweep's start.
func Write(w io.Writer, r report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	now := r.Start()
	for _, it := range r.Sorted() {
		src := asff.Source{Account: it.Account, Region: it.Region, Mode: r.Mode, Now: now}
		for _, f := range it.Resources {
			res := f.Result()
			for _, af := range asff.Findings(src, res) {
				if err := enc.Encode(ocsfOf(r, it, f, res, af)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func ocsfOf(r report.Report, it report.Item, f report.Finding, res result.Resource, af asff.Finding) ocsfRecord {
	var o ocsfRecord
	d := af.Doc
	o.ActivityID, o.ActivityName = ocsfActivityNew, "Create"
	o.CategoryUID, o.CategoryName = ocsfCategory, "Findings"
	o.ClassUID, o.ClassName = ocsfClass, "Compliance Finding"
	o.TypeUID, o.TypeName = ocsfClass*100+ocsfActivityNew, "Compliance Finding: Create"
	o.SeverityID, o.Severity = ocsfSeverity(d.FindingProviderFields.Severity.Label)
	o.Time = r.Start().UnixMilli()
	o.Message = aws.ToString(d.Title) + ": " + res.Name
	o.Metadata.Version = Version
	o.Metadata.Profiles = []string{"cloud"}
	o.Metadata.Product.Name, o.Metadata.Product.VendorName = asff.Name, asff.Name
	o.Cloud.Provider, o.Cloud.Region = "AWS", it.Region
	o.Cloud.Account.UID, o.Cloud.Account.TypeID, o.Cloud.Account.Type = it.Account, ocsfAccountAWS, "AWS Account"
	o.FindingInfo.UID = aws.ToString(d.Id)
	o.FindingInfo.Title = aws.ToString(d.Title)
	o.FindingInfo.Desc = aws.ToString(d.Description)
	o.FindingInfo.Types = d.FindingProviderFields.Types
	if f.Since != nil {
		o.FindingInfo.FirstSeenTime = f.Since.UnixMilli()
	}
	o.Compliance.Standards = []string{ocsfStandard}
	o.Compliance.Control = af.Check
	if id, ok := asff.Control(res.Kind, res.Engine); ok && af.Check == result.CheckTLS {
		o.Compliance.Requirements = []string{"AWS Security Hub " + id}
	}
	o.Compliance.StatusID, o.Compliance.Status = ocsfComplianceFail, "Fail"
	if d.Compliance.Status == types.ComplianceStatusPassed {
		o.Compliance.StatusID, o.Compliance.Status = ocsfCompliancePass, "Pass"
	}
	o.Compliance.StatusCode = string(af.Status) // passed, fix-scheduled, failed
	o.Compliance.StatusDetail = checkDetail(res, af.Check)
	o.Resource = ocsfResource{UID: aws.ToString(d.Resources[0].Id), Name: res.Name, Type: "AWS::RDS::DBInstance", Region: it.Region,
		CloudPartition: string(d.Resources[0].Partition)}
	if res.Kind == plan.KindCluster {
		o.Resource.Type = "AWS::RDS::DBCluster"
	}
	if res.Group != "" {
		o.Resource.Group = &ocsfGroup{Name: res.Group}
	}
	data := map[string]string{"engine": res.Engine, "maintenance_window": res.Window}
	if f.RebootAt != nil {
		data["reboot_at"] = f.RebootAt.UTC().Format(time.RFC3339)
	}
	for k, v := range data {
		if v == "" {
			delete(data, k)
		}
	}
	if len(data) > 0 {
		o.Resource.Data = data
	}
	o.Remediation.Desc = aws.ToString(d.Remediation.Recommendation.Text)
	if u := aws.ToString(d.Remediation.Recommendation.Url); u != "" {
		o.Remediation.References = []string{u}
	}
	o.Unmapped = ocsfUnmapped{SweepID: r.SweepID, Mode: string(r.Mode), State: string(f.Bucket), Outcome: string(f.Outcome)}
	return o
}

// checkDetail is the evidence of one check: its own detail, else the
// resource's reason.
func checkDetail(res result.Resource, check string) string {
	for _, c := range res.Checks {
		if c.Name == check && c.Detail != "" {
			return c.Detail
		}
	}
	return res.Reason
}

// ocsfSeverity maps Security Hub's label to OCSF's severity_id (1
// Informational, 2 Low, 3 Medium, 4 High, 5 Critical).
func ocsfSeverity(l types.SeverityLabel) (int, string) {
	switch l {
	case types.SeverityLabelInformational:
		return 1, "Informational"
	case types.SeverityLabelLow:
		return 2, "Low"
	case types.SeverityLabelMedium:
		return 3, "Medium"
	case types.SeverityLabelHigh:
		return 4, "High"
	case types.SeverityLabelCritical:
		return 5, "Critical"
	}
	return 0, "Unknown"
}
