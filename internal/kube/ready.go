package kube

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ReadyzPath is kube-apiserver's readiness endpoint.
const ReadyzPath = "/readyz"

// errNotReady: the API server answers but is not ready to serve.
var errNotReady = errors.New("the API server is not ready yet")

// ready asks the API server behind req whether it is ready to serve, once
// it was unreachable. A kube-apiserver that has just started answers
// before it is: until its CRD informer has synced, a custom resource's
// URL gets 404 Not Found, which a client would take for "deleted".
// Requests wait for /readyz instead. An answer that cannot tell (401,
// 403, 404: not a kube-apiserver, or not allowed to ask) counts as ready.
func (r *Retry) ready(req *http.Request) error {
	probe, err := http.NewRequestWithContext(req.Context(), http.MethodGet, req.URL.Scheme+"://"+req.URL.Host+ReadyzPath, nil)
	if err != nil {
		return nil
	}
	for k, v := range req.Header {
		if k == "Authorization" || k == "User-Agent" {
			probe.Header[k] = v
		}
	}
	resp, err := r.Next.RoundTrip(probe)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return nil
	}
	return fmt.Errorf("%w (%s answers %d)", errNotReady, ReadyzPath, resp.StatusCode)
}
