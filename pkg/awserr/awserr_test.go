package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

func TestPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, false},
		{&smithy.GenericAPIError{Code: "Throttling"}, false},
		{&smithy.GenericAPIError{Code: "InternalFailure"}, false},
		{&smithy.GenericAPIError{Code: "InvalidDBInstanceState"}, false},
		{errors.New("dial tcp: connection refused"), false},
		{fmt.Errorf("copy parameter group x: %w", &types.DBParameterGroupNotFoundFault{}), true},
		{&types.DBInstanceNotFoundFault{}, true},
		{&smithy.GenericAPIError{Code: "InvalidParameterValue"}, true},
		{&smithy.GenericAPIError{Code: "AccessDenied"}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException"}
	if err := Classify(fmt.Errorf("describe instance x: %w", throttled)); IsTerminal(err) || !Is(err, "ThrottlingException") {
		t.Errorf("throttling must stay retryable and keep its code: %v", err)
	}
	denied := fmt.Errorf("modify instance x: %w", &smithy.GenericAPIError{Code: "AccessDenied"})
	err := Classify(denied)
	if !IsTerminal(err) || !Is(err, "AccessDenied") || err.Error() != denied.Error() {
		t.Errorf("access denied must be terminal, keep its code and its text: %v", err)
	}
	if again := Terminal(err); again != err {
		t.Error("marking twice must not wrap twice")
	}
	if Classify(nil) != nil || Terminal(nil) != nil {
		t.Error("nil must stay nil")
	}
	if !IsTerminal(fmt.Errorf("reconcile x: %w", err)) {
		t.Error("terminal must survive wrapping")
	}
}
