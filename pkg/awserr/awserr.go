// Package awserr classifies AWS errors by their codes (never their
// messages), so the engine knows whether a retry can help.
package awserr

import (
	"errors"

	"github.com/aws/smithy-go"
)

// Code returns the AWS error code of err, or "".
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Is reports whether err carries one of the codes.
func Is(err error, codes ...string) bool {
	c := Code(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// permanent are codes a retry cannot fix: the resource is gone, the input
// is wrong, or forcessl lacks permission. Everything else (throttling that
// outlasted the SDK's retries, 5xx, network errors, an instance that is
// briefly not available) is worth retrying.
var permanent = []string{
	"DBInstanceNotFound", "DBInstanceNotFoundFault", "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault",
	"InvalidParameterValue", "InvalidParameterCombination", "DBParameterGroupQuotaExceeded",
	"ValidationException", "ResourceNotFoundException", "ServiceQuotaExceededException",
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
	"NotFound", "InvalidParameter", "KMSAccessDenied", "KMSDisabled", "KMSNotFound",
	// An account or region forcessl cannot reach: the member role refuses
	// to be assumed, or the region is not enabled for the account (opt-in
	// regions answer with an invalid token; STS with RegionDisabled).
	"InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure", "OptInRequired", "RegionDisabledException",
}

// Permanent reports whether retrying err is pointless.
func Permanent(err error) bool { return err != nil && Is(err, permanent...) }
