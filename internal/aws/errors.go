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

// CredentialsError is a call made with no usable AWS credentials: the
// SDK's chain of attempts says what it tried, not what the user can do.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string {
	return "no AWS credentials found; fleetup reads them as the AWS SDKs do, from one of:\n" +
		"  - a profile: --profile NAME or AWS_PROFILE=NAME (~/.aws/config, ~/.aws/credentials; for an SSO profile, log in first)\n" +
		"  - keys in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones)\n" +
		"  - the role of where it runs: an EC2 instance profile, IRSA or EKS Pod Identity\n" +
		"or reach an existing cluster without AWS: --target kubeconfig (or target: kubeconfig in config.yaml)"
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Explain turns an access-denied error into a DeniedError naming the
// missing IAM permission, and a call that found no credentials into a
// CredentialsError; other errors are returned as they are.
func Explain(err error) error {
	var op *smithy.OperationError
	// The SDK's auth step wraps the credential chain's failure so; the
	// chain has no error type of its own.
	if errors.As(err, &op) && strings.Contains(op.Err.Error(), "get identity: get credentials:") {
		return &CredentialsError{Err: err}
	}
	var api smithy.APIError
	if !errors.As(err, &api) || op == nil {
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
