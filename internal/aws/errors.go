package aws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// iamPrefix maps an SDK service ID to its IAM action prefix.
var iamPrefix = map[string]string{
	"STS": "sts", "EKS": "eks", "Secrets Manager": "secretsmanager", "Route 53": "route53",
}

// DeniedError is a call AWS refused for lack of a permission.
type DeniedError struct {
	Action string // IAM action, e.g. secretsmanager:CreateSecret
	Err    error
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("AWS denied %s: grant the IAM permission %q to the identity fleetup runs as (see `fleetup install` preflight for the identity)", e.Action, e.Action)
}

func (e *DeniedError) Unwrap() error { return e.Err }

// Explain turns an access-denied error into a DeniedError naming the
// missing IAM permission; other errors are returned as they are.
func Explain(err error) error {
	var api smithy.APIError
	var op *smithy.OperationError
	if !errors.As(err, &api) || !errors.As(err, &op) {
		return err
	}
	switch api.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException":
		prefix := iamPrefix[op.ServiceID]
		if prefix == "" {
			prefix = strings.ToLower(strings.ReplaceAll(op.ServiceID, " ", ""))
		}
		return &DeniedError{Action: prefix + ":" + op.OperationName, Err: err}
	}
	return err
}

// IsNotFound reports whether AWS said the resource does not exist.
func IsNotFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "ResourceNotFoundException" || api.ErrorCode() == "NoSuchHostedZone")
}

// hasCode reports whether err is an AWS error with that code.
func hasCode(err error, code string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == code
}
