package gitrepo

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// head is the branch HEAD names (HEAD itself when detached), its commit
// (nil on an unborn branch) and that commit's files.
func (w *Writer) head() (plumbing.ReferenceName, *object.Commit, map[string]blobRef, error) {
	ref, err := w.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", nil, nil, fmt.Errorf("read HEAD: %w", err)
	}
	branch := plumbing.HEAD
	if ref.Type() == plumbing.SymbolicReference {
		branch = ref.Target()
	}
	files, err := w.headFiles()
	if err != nil {
		return "", nil, nil, err
	}
	resolved, err := w.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return branch, nil, files, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("read HEAD: %w", err)
	}
	c, err := w.repo.CommitObject(resolved.Hash())
	if err != nil {
		return "", nil, nil, fmt.Errorf("read HEAD's commit: %w", err)
	}
	return branch, c, files, nil
}

// blobs writes the blob of each of paths that exists in the work tree (a
// symbolic link's target for a link) and returns them by path.
func (w *Writer) blobs(paths []string) (map[string]blobRef, error) {
	out := map[string]blobRef{}
	for _, p := range paths {
		file := filepath.Join(w.root, filepath.FromSlash(p))
		st, err := os.Lstat(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", p, err)
		}
		var data []byte
		mode := filemode.Regular
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(file)
			if err != nil {
				return nil, fmt.Errorf("stage %s: %w", p, err)
			}
			data, mode = []byte(filepath.ToSlash(target)), filemode.Symlink
		case st.Mode().IsRegular():
			if data, err = os.ReadFile(file); err != nil {
				return nil, fmt.Errorf("stage %s: %w", p, err)
			}
			if st.Mode()&0o100 != 0 { // the owner's bit, as git reads it
				mode = filemode.Executable
			}
		default:
			return nil, fmt.Errorf("stage %s: not a file", p)
		}
		h, err := writeObject(w.repo.Storer, plumbing.BlobObject, data)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", p, err)
		}
		out[p] = blobRef{hash: h, mode: mode}
	}
	return out, nil
}

// writeObject stores an object; go-git writes it to a temporary file
// renamed into place.
func writeObject(s storer.EncodedObjectStorer, t plumbing.ObjectType, data []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(data)))
	wr, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// encode stores what o encodes (a tree, a commit).
func encode(s storer.EncodedObjectStorer, o interface {
	Encode(plumbing.EncodedObject) error
}, t plumbing.ObjectType) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(t)
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// writeTree stores the trees of files (repository paths) and returns the
// root's.
func writeTree(s storer.EncodedObjectStorer, files map[string]blobRef) (plumbing.Hash, error) {
	type dir struct {
		files map[string]blobRef
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]blobRef{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, b := range files {
		d := root
		parts := strings.Split(p, "/")
		for _, name := range parts[:len(parts)-1] {
			if d.dirs[name] == nil {
				d.dirs[name] = newDir()
			}
			d = d.dirs[name]
		}
		d.files[parts[len(parts)-1]] = b
	}
	var write func(d *dir) (plumbing.Hash, error)
	write = func(d *dir) (plumbing.Hash, error) {
		var entries []object.TreeEntry
		for name, b := range d.files {
			entries = append(entries, object.TreeEntry{Name: name, Mode: b.mode, Hash: b.hash})
		}
		for name, sub := range d.dirs {
			h, err := write(sub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
		// Git's order: by name, a directory's as if it ended in "/".
		key := func(e object.TreeEntry) string {
			if e.Mode == filemode.Dir {
				return e.Name + "/"
			}
			return e.Name
		}
		sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
		h, err := encode(s, &object.Tree{Entries: entries}, plumbing.TreeObject)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write a tree: %w", err)
		}
		return h, nil
	}
	return write(root)
}

// writeCommit stores the commit of tree on parent (none: the first).
func (w *Writer) writeCommit(message string, author, committer object.Signature, tree plumbing.Hash, parent *object.Commit) (plumbing.Hash, error) {
	c := &object.Commit{Author: author, Committer: committer, Message: message, TreeHash: tree}
	if parent != nil {
		c.ParentHashes = []plumbing.Hash{parent.Hash}
	}
	h, err := encode(w.repo.Storer, c, plumbing.CommitObject)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: %w", err)
	}
	return h, nil
}

// gitDir is the repository's files (a linked work tree's own and the
// common ones, as go-git maps them).
func (w *Writer) gitDir() (billy.Filesystem, error) {
	fs, ok := w.repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, errors.New("the repository is not stored in a directory")
	}
	return fs.Filesystem(), nil
}

// setRef points branch at h.
func (w *Writer) setRef(branch plumbing.ReferenceName, h plumbing.Hash) error {
	fs, err := w.gitDir()
	if err != nil {
		return err
	}
	if err := writeAtomic(fs, branch.String(), []byte(h.String()+"\n")); err != nil {
		return fmt.Errorf("update %s: %w", branch.Short(), err)
	}
	return nil
}

// updateIndex brings the index's entries of paths to staged (a path
// staged lacks is removed), leaving every other entry as it is.
func (w *Writer) updateIndex(paths []string, staged map[string]blobRef) error {
	idx, err := w.repo.Storer.Index()
	if err != nil {
		return fmt.Errorf("read the Git index: %w", err)
	}
	for _, p := range paths {
		// Every entry of the path goes, the sides of a conflict included.
		for {
			if _, err := idx.Remove(p); errors.Is(err, index.ErrEntryNotFound) {
				break
			} else if err != nil {
				return fmt.Errorf("update the Git index: %w", err)
			}
		}
		b, ok := staged[p]
		if !ok {
			continue
		}
		e := idx.Add(p)
		*e = index.Entry{Name: p, Hash: b.hash, Mode: b.mode}
		// Stat data git compares to see a file unchanged; what is not
		// set (a file not on disk: a commit being undone before its
		// files are restored) makes git read the file again, nothing
		// worse.
		if st, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(p))); err == nil {
			e.Size, e.ModifiedAt = uint32(st.Size()), st.ModTime()
		}
	}
	// go-git's encoder sorts the entries and writes no extension: git
	// makes its caches again.
	var buf bytes.Buffer
	if err := index.NewEncoder(&buf).Encode(idx); err != nil {
		return fmt.Errorf("update the Git index: %w", err)
	}
	fs, err := w.gitDir()
	if err != nil {
		return err
	}
	if err := writeAtomic(fs, "index", buf.Bytes()); err != nil {
		return fmt.Errorf("update the Git index: %w", err)
	}
	return nil
}

// writeAtomic replaces name (a ref, the index) with data, written whole
// to a temporary file renamed over it, so a process killed at any point
// leaves the old or the new one. It refuses while a Git process holds
// name.lock. The temporary file is not name.lock, which would stop every
// Git command after a kill: refs go through info/ (in the same
// directory tree as refs/, as go-git maps a linked work tree's files,
// and read by no one as a ref), the rest through the directory's root.
// Files a killed run left there are removed.
func writeAtomic(fs billy.Filesystem, name string, data []byte) error {
	if _, err := fs.Stat(name + ".lock"); err == nil {
		return fmt.Errorf("%s exists: a Git process is writing %s; run again once it is done (remove the file if none runs)", filepath.Join(fs.Root(), name+".lock"), name)
	}
	dir := ""
	if strings.HasPrefix(name, "refs/") {
		dir = "info"
	}
	if err := fs.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	if dir != "" {
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// "~" is in no ref name: the prefixes of two refs never overlap.
	prefix := "fleetup-tmp~" + strings.ReplaceAll(name, "/", "~") + "~"
	// The file keeps the mode of the one it replaces (a shared
	// repository's group bits, as far as the umask lets them).
	perm := os.FileMode(0o666)
	if st, err := fs.Stat(name); err == nil {
		perm = st.Mode().Perm()
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := fs.Join(dir, prefix+hex.EncodeToString(rnd[:]))
	f, err := fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = fs.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	if err := fs.Rename(tmp, name); err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	if left, err := fs.ReadDir(dir); err == nil {
		for _, l := range left {
			if strings.HasPrefix(l.Name(), prefix) {
				_ = fs.Remove(fs.Join(dir, l.Name()))
			}
		}
	}
	return nil
}
