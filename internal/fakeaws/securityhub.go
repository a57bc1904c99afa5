package fakeaws

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// SecurityHub is an in-process fake of Security Hub in one account and
// Region, for what moto lacks (moto has no BatchUpdateFindings and ignores
// GetFindings' filters). Written from the Security Hub user guide:
//   - BatchImportFindings only from the findings' own account; in an
//     account where Security Hub is not enabled every finding comes back
//     in FailedFindings with InvalidAccess;
//   - an import leaves the customer's fields alone (Note,
//     UserDefinedFields, VerificationState, Workflow) and is ignored when
//     its UpdatedAt is not later than the finding's;
//   - Severity and Types are copied from FindingProviderFields;
//   - workflow NOTIFIED or RESOLVED goes back to NEW when Compliance.Status
//     moves from PASSED to FAILED, or RecordState from ARCHIVED to ACTIVE;
//   - BatchUpdateFindings changes Workflow and Note of findings it has,
//     and reports the others as unprocessed.
type SecurityHub struct {
	Account, Region string
	// Disabled: Security Hub is not enabled in this account and Region.
	Disabled bool

	mu       sync.Mutex
	findings map[string]*shtypes.AwsSecurityFinding // by ID
	order    []string
	Calls    []string
	// Imports are the findings of each BatchImportFindings call; Updates
	// each BatchUpdateFindings request.
	Imports [][]shtypes.AwsSecurityFinding
	Updates []*securityhub.BatchUpdateFindingsInput
	// FailNext makes the next call of an operation fail with an error, once.
	FailNext map[string]error
}

// Hub is Security Hub in the fake's account and Region, made on first use.
func (f *AWS) Hub() *SecurityHub {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hub == nil {
		f.hub = NewSecurityHub(f.Account, f.Region)
	}
	return f.hub
}

// NewSecurityHub returns an empty, enabled fake.
func NewSecurityHub(account, region string) *SecurityHub {
	return &SecurityHub{Account: account, Region: region, findings: map[string]*shtypes.AwsSecurityFinding{}, FailNext: map[string]error{}}
}

func (s *SecurityHub) enter(op string) error {
	s.mu.Lock()
	s.Calls = append(s.Calls, op)
	if err, ok := s.FailNext[op]; ok {
		delete(s.FailNext, op)
		return err
	}
	return nil
}

// Count returns how many times op was called.
func (s *SecurityHub) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.Calls {
		if c == op {
			n++
		}
	}
	return n
}

// Reset forgets the calls made so far (the findings stay).
func (s *SecurityHub) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls, s.Imports, s.Updates = nil, nil, nil
}

// Finding returns a copy of a finding by ID.
func (s *SecurityHub) Finding(id string) (shtypes.AwsSecurityFinding, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.findings[id]
	if !ok {
		return shtypes.AwsSecurityFinding{}, false
	}
	return *f, true
}

// All returns every finding, in the order they were created.
func (s *SecurityHub) All() []shtypes.AwsSecurityFinding {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []shtypes.AwsSecurityFinding
	for _, id := range s.order {
		out = append(out, *s.findings[id])
	}
	return out
}

// Put stores a finding as another product made it (an AWS control
// finding, say), with workflow NEW.
func (s *SecurityHub) Put(f shtypes.AwsSecurityFinding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Workflow == nil {
		f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusNew}
	}
	if f.RecordState == "" {
		f.RecordState = shtypes.RecordStateActive
	}
	id := aws.ToString(f.Id)
	if _, ok := s.findings[id]; !ok {
		s.order = append(s.order, id)
	}
	s.findings[id] = &f
}

// ControlFinding is an AWS control finding as Security Hub makes it, for a
// control on a resource, with the generator given (consolidated or not).
func (s *SecurityHub) ControlFinding(control, generator, resourceARN string, status shtypes.ComplianceStatus) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{
		Id:           aws.String("arn:aws:securityhub:" + s.Region + ":" + s.Account + ":security-control/" + control + "/finding/" + resourceARN),
		ProductArn:   aws.String("arn:aws:securityhub:" + s.Region + "::product/aws/securityhub"),
		GeneratorId:  aws.String(generator),
		AwsAccountId: aws.String(s.Account),
		Compliance:   &shtypes.Compliance{Status: status, SecurityControlId: aws.String(control)},
		Resources:    []shtypes.Resource{{Type: aws.String("AwsRdsDbInstance"), Id: aws.String(resourceARN)}},
	}
}

func (s *SecurityHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	defer s.mu.Unlock()
	if err := s.enter("BatchImportFindings"); err != nil {
		return nil, err
	}
	if len(in.Findings) == 0 || len(in.Findings) > 100 {
		return nil, APIError("InvalidInputException")
	}
	s.Imports = append(s.Imports, slices.Clone(in.Findings))
	out := &securityhub.BatchImportFindingsOutput{}
	for _, f := range in.Findings {
		if aws.ToString(f.AwsAccountId) != s.Account {
			// The documented rule (the caller must be the findings' account);
			// AWS answers AccessDeniedException for the whole call.
			return nil, APIError("AccessDeniedException")
		}
	}
	for _, f := range in.Findings {
		if s.Disabled {
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: f.Id, ErrorCode: aws.String("InvalidAccess"),
				ErrorMessage: aws.String("Account " + s.Account + " is not subscribed to AWS Security Hub")})
			continue
		}
		s.importOne(f)
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(in.Findings) - len(out.FailedFindings)))
	return out, nil
}

func (s *SecurityHub) importOne(f shtypes.AwsSecurityFinding) {
	id := aws.ToString(f.Id)
	if fp := f.FindingProviderFields; fp != nil {
		if fp.Severity != nil {
			f.Severity = &shtypes.Severity{Label: fp.Severity.Label, Original: fp.Severity.Original}
		}
		f.Types = fp.Types
	}
	if f.RecordState == "" {
		f.RecordState = shtypes.RecordStateActive
	}
	old, ok := s.findings[id]
	if !ok {
		f.Note, f.UserDefinedFields, f.VerificationState = nil, nil, ""
		f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusNew}
		s.order = append(s.order, id)
		s.findings[id] = &f
		return
	}
	if !at(f.UpdatedAt).After(at(old.UpdatedAt)) {
		return // "the update is ignored"
	}
	f.Note, f.UserDefinedFields, f.VerificationState, f.Workflow = old.Note, old.UserDefinedFields, old.VerificationState, old.Workflow
	wasPassed := old.Compliance != nil && old.Compliance.Status == shtypes.ComplianceStatusPassed
	nowFailing := f.Compliance != nil && f.Compliance.Status != shtypes.ComplianceStatusPassed
	unarchived := old.RecordState == shtypes.RecordStateArchived && f.RecordState == shtypes.RecordStateActive
	if w := f.Workflow; w != nil && (w.Status == shtypes.WorkflowStatusNotified || w.Status == shtypes.WorkflowStatusResolved) &&
		(wasPassed && nowFailing || unarchived) {
		f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusNew}
	}
	s.findings[id] = &f
}

func at(s *string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, aws.ToString(s))
	return t
}

func (s *SecurityHub) GetFindings(_ context.Context, in *securityhub.GetFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error) {
	defer s.mu.Unlock()
	if err := s.enter("GetFindings"); err != nil {
		return nil, err
	}
	if s.Disabled {
		return nil, APIError("InvalidAccessException")
	}
	var match []shtypes.AwsSecurityFinding
	for _, id := range s.order {
		if f := s.findings[id]; hubMatches(*f, in.Filters) {
			match = append(match, *f)
		}
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	page := 100
	if in.MaxResults != nil && *in.MaxResults > 0 {
		page = int(*in.MaxResults)
	}
	out := &securityhub.GetFindingsOutput{Findings: match[min(start, len(match)):min(start+page, len(match))]}
	if start+page < len(match) {
		out.NextToken = aws.String(strconv.Itoa(start + page))
	}
	return out, nil
}

// hubMatches applies the filters forcessl uses: values of one attribute are
// alternatives, attributes must all match.
func hubMatches(f shtypes.AwsSecurityFinding, fl *shtypes.AwsSecurityFindingFilters) bool {
	if fl == nil {
		return true
	}
	var resources []string
	for _, r := range f.Resources {
		resources = append(resources, aws.ToString(r.Id))
	}
	compliance := ""
	if f.Compliance != nil {
		compliance = string(f.Compliance.Status)
	}
	return anyOf(fl.Id, aws.ToString(f.Id)) && anyOf(fl.ProductArn, aws.ToString(f.ProductArn)) &&
		anyOf(fl.AwsAccountId, aws.ToString(f.AwsAccountId)) && anyOf(fl.GeneratorId, aws.ToString(f.GeneratorId)) &&
		anyOf(fl.RecordState, string(f.RecordState)) && anyOf(fl.ComplianceStatus, compliance) &&
		(len(fl.ResourceId) == 0 || slices.ContainsFunc(resources, func(r string) bool { return anyOf(fl.ResourceId, r) }))
}

func anyOf(filters []shtypes.StringFilter, v string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		switch want := aws.ToString(f.Value); f.Comparison {
		case shtypes.StringFilterComparisonEquals:
			if v == want {
				return true
			}
		case shtypes.StringFilterComparisonPrefix:
			if strings.HasPrefix(v, want) {
				return true
			}
		}
	}
	return false
}

func (s *SecurityHub) BatchUpdateFindings(_ context.Context, in *securityhub.BatchUpdateFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	defer s.mu.Unlock()
	if err := s.enter("BatchUpdateFindings"); err != nil {
		return nil, err
	}
	if s.Disabled {
		return nil, APIError("InvalidAccessException")
	}
	if len(in.FindingIdentifiers) == 0 || len(in.FindingIdentifiers) > 100 {
		return nil, APIError("InvalidInputException")
	}
	s.Updates = append(s.Updates, in)
	out := &securityhub.BatchUpdateFindingsOutput{}
	for _, fi := range in.FindingIdentifiers {
		f, ok := s.findings[aws.ToString(fi.Id)]
		if !ok || aws.ToString(f.ProductArn) != aws.ToString(fi.ProductArn) {
			out.UnprocessedFindings = append(out.UnprocessedFindings, shtypes.BatchUpdateFindingsUnprocessedFinding{
				FindingIdentifier: &fi, ErrorCode: aws.String("FindingNotFound"), ErrorMessage: aws.String("finding not found")})
			continue
		}
		if in.Workflow != nil {
			f.Workflow = &shtypes.Workflow{Status: in.Workflow.Status}
		}
		if in.Note != nil {
			f.Note = &shtypes.Note{Text: in.Note.Text, UpdatedBy: in.Note.UpdatedBy}
		}
		out.ProcessedFindings = append(out.ProcessedFindings, fi)
	}
	return out, nil
}
