package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// pushLocal does what git-receive-pack does for a repository on this
// machine: copy the objects it lacks, then move ref from the commit it
// had to h, refusing anything but a fast-forward. upToDate: ref was h.
func (w *Writer) pushLocal(ctx context.Context, path string, h plumbing.Hash, ref plumbing.ReferenceName) (upToDate bool, err error) {
	remote, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	if err := checkedOut(remote, ref); err != nil {
		return false, err
	}
	old, err := remote.Storer.Reference(ref)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		old = nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", ref, err)
	case old.Hash() == h:
		return true, nil
	default:
		if err := w.fastForward(old.Hash(), h); err != nil {
			return false, err
		}
	}
	if err := copyObjects(ctx, w.repo.Storer, remote.Storer, h); err != nil {
		return false, err
	}
	// Compare-and-swap: another push in between makes this one fail
	// rather than drop its commits.
	if err := remote.Storer.CheckAndSetReference(plumbing.NewHashReference(ref, h), old); err != nil {
		return false, fmt.Errorf("update %s: %w", ref, err)
	}
	return false, nil
}

// fastForward checks that from is an ancestor of to.
func (w *Writer) fastForward(from, to plumbing.Hash) error {
	oldC, err := w.repo.CommitObject(from)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return ErrNonFastForward // the remote has a commit never fetched here
	}
	if err != nil {
		return fmt.Errorf("read commit %s: %w", from, err)
	}
	newC, err := w.repo.CommitObject(to)
	if err != nil {
		return fmt.Errorf("read commit %s: %w", to, err)
	}
	ok, err := oldC.IsAncestor(newC)
	if err != nil {
		return fmt.Errorf("compare %s with %s: %w", from, to, err)
	}
	if !ok {
		return ErrNonFastForward
	}
	return nil
}

// checkedOut refuses to move the branch a non-bare remote has checked
// out: its work tree would no longer match its HEAD (git's
// receive.denyCurrentBranch default).
func checkedOut(remote *git.Repository, ref plumbing.ReferenceName) error {
	if _, err := remote.Worktree(); errors.Is(err, git.ErrIsBareRepository) {
		return nil
	}
	head, err := remote.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return nil // no HEAD: nothing checked out
	}
	if head.Type() == plumbing.SymbolicReference && head.Target() == ref {
		return fmt.Errorf("the remote has %s checked out in its work tree: push to a bare repository or another branch", ref.Short())
	}
	return nil
}

// copyObjects writes the objects reachable from h that to lacks. An
// object is written only after everything it points to, so an object
// present in to always comes with its whole history, even after an
// interrupted copy: the walk stops at the first object to has.
func copyObjects(ctx context.Context, from, to storer.EncodedObjectStorer, h plumbing.Hash) error {
	type frame struct {
		hash plumbing.Hash
		obj  plumbing.EncodedObject
	}
	done := map[plumbing.Hash]bool{}
	stack := []frame{{hash: h}}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		top := &stack[len(stack)-1]
		if done[top.hash] {
			stack = stack[:len(stack)-1]
			continue
		}
		if top.obj != nil { // its children are written
			if _, err := to.SetEncodedObject(top.obj); err != nil {
				return fmt.Errorf("write object %s: %w", top.hash, err)
			}
			done[top.hash] = true
			stack = stack[:len(stack)-1]
			continue
		}
		if to.HasEncodedObject(top.hash) == nil {
			done[top.hash] = true
			stack = stack[:len(stack)-1]
			continue
		}
		obj, err := from.EncodedObject(plumbing.AnyObject, top.hash)
		if err != nil {
			return fmt.Errorf("read object %s: %w", top.hash, err)
		}
		kids, err := children(obj)
		if err != nil {
			return err
		}
		top.obj = obj
		for _, k := range kids {
			if !done[k] {
				stack = append(stack, frame{hash: k})
			}
		}
	}
	return nil
}

// children are the objects obj points to.
func children(obj plumbing.EncodedObject) ([]plumbing.Hash, error) {
	switch obj.Type() {
	case plumbing.CommitObject:
		var c object.Commit
		if err := c.Decode(obj); err != nil {
			return nil, fmt.Errorf("decode commit %s: %w", obj.Hash(), err)
		}
		return append([]plumbing.Hash{c.TreeHash}, c.ParentHashes...), nil
	case plumbing.TreeObject:
		var t object.Tree
		if err := t.Decode(obj); err != nil {
			return nil, fmt.Errorf("decode tree %s: %w", obj.Hash(), err)
		}
		out := make([]plumbing.Hash, 0, len(t.Entries))
		for _, e := range t.Entries {
			if e.Mode != filemode.Submodule { // a commit of another repository
				out = append(out, e.Hash)
			}
		}
		return out, nil
	case plumbing.TagObject:
		var t object.Tag
		if err := t.Decode(obj); err != nil {
			return nil, fmt.Errorf("decode tag %s: %w", obj.Hash(), err)
		}
		return []plumbing.Hash{t.Target}, nil
	}
	return nil, nil
}
