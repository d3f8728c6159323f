package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/fleetup/fleetup/internal/gitrepo"
)

// GitOptions are the flags of the commands that write fleet files.
type GitOptions struct {
	// NoCommit writes the files and leaves them to the user (--no-commit).
	NoCommit bool
	// Push sends the commit to the branch's remote (--push).
	Push bool
}

// fleetWrite is one write of fleet files, committed with go-git unless
// --no-commit. Everything that can refuse runs before a file is written.
type fleetWrite struct {
	g    *Global
	opts GitOptions
	w    *gitrepo.Writer // nil with --no-commit
	// paths are the files the write touches, as the repository names them.
	paths []string
}

// prepareWrite opens the repository that holds dir, found upward, and
// checks that its index holds no other staged change, which the commit
// would take along. files are every file on disk the write touches,
// written, removed or unchanged (an unchanged file not in HEAD yet is
// committed).
func prepareWrite(g *Global, opts GitOptions, dir string, files []string) (*fleetWrite, error) {
	fw := &fleetWrite{g: g, opts: opts}
	if opts.NoCommit {
		if opts.Push {
			return nil, Usage(errors.New("--push pushes the commit that --no-commit leaves out: pass one of them"))
		}
		return fw, nil
	}
	w, err := gitrepo.OpenWriter(dir)
	if errors.Is(err, gitrepo.ErrNoRepository) {
		return nil, Usage(fmt.Errorf("%w: fleetup commits the fleet files it writes; run it in a clone of the platform repository, or pass --no-commit (nothing was written)", err))
	}
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		p, err := w.Path(f)
		if err != nil {
			return nil, Usage(fmt.Errorf("%w: pass --no-commit to write it anyway (nothing was written)", err))
		}
		fw.paths = append(fw.paths, p)
	}
	var staged *gitrepo.StagedError
	if err := w.CheckStaged(fw.paths); errors.As(err, &staged) {
		return nil, Usage(fmt.Errorf("%w, or pass --no-commit (nothing was written)", err))
	} else if err != nil {
		return nil, err
	}
	fw.w = w
	return fw, nil
}

// WriteResult is what a command that writes the fleet did (-o json).
type WriteResult struct {
	Command string `json:"command"`
	Fleet   string `json:"fleet"`
	// Written, Removed and Unchanged are paths as fleet commands show them.
	Written   []string `json:"written"`
	Removed   []string `json:"removed"`
	Unchanged []string `json:"unchanged"`
	// Commit is nil when nothing was committed.
	Commit *CommitResult `json:"commit,omitempty"`
	// Commits are every commit of a command that makes more than one
	// (cluster delete), in order; Commit is the last.
	Commits []*CommitResult `json:"commits,omitempty"`
	Push    *PushResult     `json:"push,omitempty"`
}

// CommitResult is a commit fleetup made.
type CommitResult struct {
	Hash          string `json:"hash"`
	Message       string `json:"message"`
	Author        string `json:"author"`
	DefaultAuthor bool   `json:"defaultAuthor,omitempty"`
}

// PushResult is a push fleetup made.
type PushResult struct {
	Remote   string `json:"remote"`
	URL      string `json:"url"`
	Branch   string `json:"branch"`
	Ref      string `json:"ref"`
	UpToDate bool   `json:"upToDate"`
}

// apply makes the changes (paths among those prepared) and commits every
// prepared path with message. A failed commit undoes the changes; a
// failed push leaves the commit, which a rerun pushes.
func (fw *fleetWrite) apply(ctx context.Context, res *WriteResult, changes []scaffold.Change, message string) error {
	applied, err := scaffold.Apply(changes)
	if err != nil {
		return err
	}
	if fw.w == nil {
		return nil
	}
	c, err := fw.w.Commit(ctx, message, fw.paths)
	if err != nil {
		if uerr := applied.Undo(); uerr != nil {
			return fmt.Errorf("%w; undoing the writes failed too: %v", err, uerr)
		}
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	if c.Hash != "" {
		res.Commit = &CommitResult{Hash: c.Hash, Message: c.Message, Author: fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email), DefaultAuthor: c.DefaultAuthor}
		if c.DefaultAuthor {
			fw.g.noteLine(fmt.Sprintf("no Git author configured (user.name and user.email, or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL): committed as %s", res.Commit.Author))
		}
	}
	if !fw.opts.Push {
		return nil
	}
	p, err := fw.w.Push(ctx)
	if err != nil {
		if res.Commit != nil {
			return fmt.Errorf("committed %s, not pushed: %w (run the command again with --push to push it)", c.Short(), err)
		}
		return err
	}
	res.Push = &PushResult{Remote: p.Remote, URL: p.URL, Branch: p.Branch, Ref: p.Ref, UpToDate: p.UpToDate}
	return nil
}

// noteLine prints a note on stderr.
func (g *Global) noteLine(msg string) { fmt.Fprintln(g.Stderr, "note: "+g.Redact(msg)) }

// print shows what the write did, as text or JSON.
func (res *WriteResult) print(g *Global) error {
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(out, res)
	}
	var b strings.Builder
	for _, f := range res.Written {
		fmt.Fprintf(&b, "wrote %s\n", f)
	}
	for _, f := range res.Removed {
		fmt.Fprintf(&b, "removed %s\n", f)
	}
	switch {
	case len(res.Written)+len(res.Removed) > 0:
	case res.Commit != nil: // written before, never committed
		fmt.Fprintf(&b, "already written, not yet committed: %s\n", strings.Join(res.Unchanged, ", "))
	case len(res.Unchanged) == 1:
		fmt.Fprintf(&b, "nothing changed: %s is already as asked\n", res.Unchanged[0])
	default:
		fmt.Fprintf(&b, "nothing changed\n")
	}
	res.commitLines(&b)
	_, err := io.WriteString(out, b.String())
	return err
}

// printCommit prints only the commit and the push, as text.
func (res *WriteResult) printCommit(g *Global) error {
	var b strings.Builder
	res.commitLines(&b)
	_, err := io.WriteString(&redactingWriter{w: g.Stdout, g: g}, b.String())
	return err
}

func (res *WriteResult) commitLines(b *strings.Builder) {
	if c := res.Commit; c != nil {
		subject, _, _ := strings.Cut(c.Message, "\n")
		fmt.Fprintf(b, "committed %s %s (author %s)\n", c.Hash[:7], subject, c.Author)
	}
	if p := res.Push; p != nil {
		if p.UpToDate {
			fmt.Fprintf(b, "%s at %s (%s) is up to date\n", p.Ref, p.Remote, p.URL)
		} else {
			fmt.Fprintf(b, "pushed %s to %s %s (%s)\n", p.Branch, p.Remote, p.Ref, p.URL)
		}
	}
}
