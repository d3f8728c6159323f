package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Defaults of RetryOptions.
const (
	DefaultRetryInitialDelay = 200 * time.Millisecond
	DefaultRetryMaxDelay     = 5 * time.Second
	DefaultRetryBudget       = 2 * time.Minute
	DefaultRetryServerErrors = 2
)

// ErrRetryBudget ends retrying of a request whose context has no deadline.
var ErrRetryBudget = errors.New("retry budget used up")

// RetryOptions tune Retry. Zero values take the defaults.
type RetryOptions struct {
	// InitialDelay is the wait before the first retry; each further retry
	// doubles it, up to MaxDelay, with jitter.
	InitialDelay, MaxDelay time.Duration
	// Budget bounds retrying when the request's context has no deadline,
	// so that a command without one never hangs on a dead server.
	Budget time.Duration
	// ServerErrorRetries is how often a 500 is retried (default 2, negative
	// for never): unlike an unreachable server, a 500 is mostly a bug that
	// stays.
	ServerErrorRetries int
	// OnAttempt, when set, sees every attempt as it ends. It is called from
	// the requesting goroutine and must be safe for concurrent use.
	OnAttempt func(Attempt)
	// Rand returns a number in [0, 1) for jitter (default math/rand/v2).
	Rand func() float64
}

// Attempt describes one try of a request, for RetryOptions.OnAttempt.
type Attempt struct {
	Method string
	URL    string
	// N is 1 for the first try.
	N int
	// Status is the HTTP status, 0 when there was no response.
	Status int
	Err    error
	// Retry says the outcome was transient and another attempt is due
	// after Delay, unless the context or the budget ends first.
	Retry bool
	Delay time.Duration
}

// Retry is an http.RoundTripper that repeats API requests that failed
// transiently (the server unreachable or restarting, overloaded, or a proxy
// in front of it failing), with exponential backoff and jitter, until the
// request's context ends (or, without a deadline, its Budget is used up).
// Permanent answers pass through at once.
type Retry struct {
	Next    http.RoundTripper
	Options RetryOptions
}

// Wrap is a transport.WrapperFunc for rest.Config.Wrap: every client made
// from the config (dynamic, typed, discovery, Helm's) then retries.
func (o RetryOptions) Wrap(rt http.RoundTripper) http.RoundTripper {
	if _, ok := rt.(*Retry); ok {
		// A config that already retries (a Client's Config given to New
		// again) must not retry each attempt again.
		return rt
	}
	return &Retry{Next: rt, Options: o}
}

// RetryError says a request kept failing transiently until retrying had
// to stop; it unwraps to the last failure and to why retrying stopped.
type RetryError struct {
	Attempts int
	Elapsed  time.Duration
	Last     error
	Stop     error
	// ctxErr is the context's own error when Stop is its cause, so that
	// errors.Is(err, context.DeadlineExceeded) still holds.
	ctxErr error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retried %d times over %v, then: %v)", e.Last, e.Attempts-1, e.Elapsed.Round(time.Millisecond), e.Stop)
}

func (e *RetryError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.Last, e.Stop, e.ctxErr}
	}
	return []error{e.Last, e.Stop}
}

// StatusError is a transient HTTP answer that was retried in vain.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// RoundTrip implements http.RoundTripper.
func (r *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	o := r.Options.withDefaults()
	// A body without GetBody cannot be sent twice.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	ctx := req.Context()
	begin := time.Now()
	var budget <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(o.Budget)
		defer t.Stop()
		budget = t.C
	}
	attempt := req
	var last error // the previous attempt's transient failure
	serverErrors := 0
	// unreachable: an attempt could not reach the server, which may be
	// restarting; the next one waits until it is ready (see ready).
	unreachable := false
	for n := 1; ; n++ {
		var resp *http.Response
		var err error
		if unreachable {
			err = r.ready(attempt)
		}
		if err == nil {
			resp, err = r.Next.RoundTrip(attempt)
		}
		unreachable = err != nil && (transientError(err) || errors.Is(err, errNotReady))
		a := Attempt{Method: req.Method, URL: req.URL.String(), N: n, Err: err}
		if resp != nil {
			a.Status = resp.StatusCode
		}
		if ctx.Err() != nil && resp == nil && last != nil {
			// The context ended during a retry: say what kept failing.
			r.observe(o, a)
			return nil, &RetryError{Attempts: n, Elapsed: time.Since(begin), Last: last, Stop: context.Cause(ctx), ctxErr: ctx.Err()}
		}
		if resp != nil && resp.StatusCode == http.StatusInternalServerError {
			serverErrors++
		}
		if ctx.Err() != nil || !replayable || !(unreachable || Retryable(req, resp, err)) || serverErrors > o.ServerErrorRetries {
			r.observe(o, a)
			return resp, err
		}
		a.Retry = true
		a.Delay = o.backoff(n, o.Rand())
		last = err
		if resp != nil {
			if after, ok := retryAfter(resp); ok && after > a.Delay {
				a.Delay = after
			}
			last = drain(resp)
		}
		r.observe(o, a)
		t := time.NewTimer(a.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, &RetryError{Attempts: n, Elapsed: time.Since(begin), Last: last, Stop: context.Cause(ctx), ctxErr: ctx.Err()}
		case <-budget:
			t.Stop()
			return nil, &RetryError{Attempts: n, Elapsed: time.Since(begin), Last: last, Stop: fmt.Errorf("%w (%v, the request has no deadline)", ErrRetryBudget, o.Budget)}
		}
		if attempt, err = replay(req); err != nil {
			return nil, fmt.Errorf("replay request body: %w (after: %v)", err, last)
		}
	}
}

func (r *Retry) observe(o RetryOptions, a Attempt) {
	if o.OnAttempt != nil {
		o.OnAttempt(a)
	}
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.InitialDelay <= 0 {
		o.InitialDelay = DefaultRetryInitialDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultRetryMaxDelay
	}
	if o.MaxDelay < o.InitialDelay {
		o.MaxDelay = o.InitialDelay
	}
	if o.Budget <= 0 {
		o.Budget = DefaultRetryBudget
	}
	if o.ServerErrorRetries == 0 {
		o.ServerErrorRetries = DefaultRetryServerErrors
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// backoff is the wait after attempt n (1-based): InitialDelay doubled n-1
// times, capped at MaxDelay, then jittered into its upper half so that
// clients that failed together do not all retry together.
func (o RetryOptions) backoff(n int, rnd float64) time.Duration {
	d := o.InitialDelay
	for i := 1; i < n && d < o.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, o.MaxDelay)
	return d/2 + time.Duration(rnd*float64(d/2))
}

// Retryable reports whether an attempt's outcome (resp or err) is
// transient for req: the server could not be reached or the connection
// broke before an answer, or the answer was 429, 502, 503, 504, or a 500 to
// a request that is safe to repeat (except the 500 with which server-side
// apply rejects an object that does not fit its schema). It may read a
// 500's body, and leaves it readable.
func Retryable(req *http.Request, resp *http.Response, err error) bool {
	if err != nil {
		return transientError(err)
	}
	if resp == nil {
		return false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusInternalServerError:
		return idempotent(req) && !rejectedApply(resp)
	}
	return false
}

// rejectedApply: kube-apiserver answers a server-side apply whose object
// does not match the schema (a string where a number belongs) with a 500
// saying so, which no retry changes. The body read is put back.
func rejectedApply(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return bytes.Contains(head, []byte("failed to create typed patch object"))
}

// transientError: the request may not have reached the server, or the
// connection ended before its answer. A request that was processed and
// repeated gets a permanent answer (409 AlreadyExists), never a silent
// duplicate, since fleetup creates objects by name.
func transientError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN} {
		if errors.Is(err, errno) {
			return true
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// Dial and TLS handshake timeouts; http2's connection-lost and GOAWAY,
	// and closed connections, which net/http reports only as strings.
	return utilnet.IsTimeout(err) || utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}

// idempotent: repeating the request leaves the same state. Server-side
// apply is, by design; other patches (JSON patch) may not be.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPatch:
		return strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch")
	}
	return false
}

// retryAfter reads Retry-After of a 429 or 503 (seconds or an HTTP date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// drain reads and closes a response that will be retried (so its
// connection can be reused) and keeps its message for the final error.
func drain(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	msg := strings.TrimSpace(string(body))
	var st struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		msg = st.Message
	}
	if len(msg) > 300 {
		msg = msg[:297] + "..."
	}
	return &StatusError{Code: resp.StatusCode, Message: msg}
}

// replay clones req with a fresh body for the next attempt.
func replay(req *http.Request) (*http.Request, error) {
	next := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return next, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	next.Body = body
	return next, nil
}

var _ http.RoundTripper = (*Retry)(nil)
