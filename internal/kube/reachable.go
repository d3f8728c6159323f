package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ErrUnreachable: the API server did not answer at all (refused, no route,
// no such host, TLS failure), or not in time.
var ErrUnreachable = errors.New("the Kubernetes API server cannot be reached")

// ErrUnauthorized: the API server refused the credentials.
var ErrUnauthorized = errors.New("the Kubernetes API server refused the credentials")

// Reachable asks the API server for its version, retrying transient
// failures for at most wait. A command whose cluster is stopped, or whose
// kubeconfig points at another one, then says so within wait instead of
// retrying each of its requests for the whole retry budget in silence;
// an outage in the middle of a run is still ridden out by the retries.
// Any answer but 401 counts as reachable: what the credentials may do is
// for the requests themselves to find out.
func (c *Client) Reachable(ctx context.Context, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err := c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
	var status apierrors.APIStatus
	switch {
	case err == nil:
		return nil
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w at %s: %v", ErrUnauthorized, c.Config.Host, err)
	case errors.As(err, &status):
		return nil // it answered
	}
	return fmt.Errorf("%w at %s (tried for %v): %v", ErrUnreachable, c.Config.Host, wait, err)
}
