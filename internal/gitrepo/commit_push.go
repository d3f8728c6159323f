package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Push is what Writer.Push did.
type Push struct {
	Remote string // the remote's name, e.g. origin
	URL    string // its URL, credentials removed
	Branch string // the local branch pushed
	Ref    string // the remote's reference updated
	// UpToDate: the remote had the commit already.
	UpToDate bool
}

// ErrNonFastForward: the remote branch has commits the local one lacks.
var ErrNonFastForward = errors.New("the remote branch has commits this one does not have: pull them first, then push again")

// Push sends the current branch to the remote it tracks (branch.<b>.remote
// and .merge of the Git config; origin and the same name when unset).
// Local remotes (a path or a file:// URL) are written in-process, others
// go through go-git's transports: SSH with the agent, HTTPS with the
// credentials of the URL.
func (w *Writer) Push(ctx context.Context) (Push, error) {
	head, err := w.repo.Head()
	if err != nil {
		return Push{}, fmt.Errorf("push: read HEAD: %w", err)
	}
	if !head.Name().IsBranch() {
		return Push{}, errors.New("push: HEAD is detached: check out a branch to push")
	}
	cfg, err := w.repo.Config()
	if err != nil {
		return Push{}, fmt.Errorf("push: read the Git config: %w", err)
	}
	branch := head.Name().Short()
	p := Push{Remote: "origin", Branch: branch, Ref: head.Name().String()}
	if b := cfg.Branches[branch]; b != nil {
		if b.Remote != "" {
			p.Remote = b.Remote
		}
		if b.Merge != "" {
			p.Ref = b.Merge.String()
		}
	}
	rc := cfg.Remotes[p.Remote]
	if rc == nil || len(rc.URLs) == 0 {
		return p, fmt.Errorf("push: branch %s has no remote %q: add the remote to the repository's Git config", branch, p.Remote)
	}
	p.URL = StripCredentials(rc.URLs[0])
	ep, err := transport.NewEndpoint(rc.URLs[0])
	if err != nil {
		return p, fmt.Errorf("push to %s: %w", p.URL, err)
	}
	if ep.Protocol == "file" {
		// go-git's file transport runs git-receive-pack: do its job here.
		p.UpToDate, err = w.pushLocal(ctx, ep.Path, head.Hash(), plumbing.ReferenceName(p.Ref))
		if err == nil {
			err = w.track(p.Remote, p.Ref, head.Hash())
		}
	} else {
		spec := config.RefSpec(head.Name().String() + ":" + p.Ref)
		err = w.repo.PushContext(ctx, &git.PushOptions{RemoteName: p.Remote, RefSpecs: []config.RefSpec{spec}})
		if errors.Is(err, git.NoErrAlreadyUpToDate) {
			p.UpToDate, err = true, nil
		} else if err != nil && strings.Contains(err.Error(), "non-fast-forward") {
			err = ErrNonFastForward
		}
	}
	if err != nil {
		return p, &pushError{msg: StripCredentials(fmt.Sprintf("push %s to %s (%s): %v", branch, p.Remote, p.URL, err)), err: err}
	}
	return p, nil
}

// track moves the remote-tracking reference, as git push does.
func (w *Writer) track(remote, ref string, h plumbing.Hash) error {
	name := plumbing.ReferenceName(ref)
	if !name.IsBranch() {
		return nil
	}
	tracking := plumbing.NewRemoteReferenceName(remote, name.Short())
	if err := w.repo.Storer.SetReference(plumbing.NewHashReference(tracking, h)); err != nil {
		return fmt.Errorf("update %s: %w", tracking, err)
	}
	return nil
}

// pushError keeps the cause for errors.Is while its text has no
// credentials.
type pushError struct {
	msg string
	err error
}

func (e *pushError) Error() string { return e.msg }
func (e *pushError) Unwrap() error { return e.err }

var userinfo = regexp.MustCompile(`(://)[^/@\s]+@`)

// StripCredentials removes user:password@ from URLs in s, so that a
// remote's credentials never reach output.
func StripCredentials(s string) string { return userinfo.ReplaceAllString(s, "$1") }
