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
