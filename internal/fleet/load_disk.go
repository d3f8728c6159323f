//go:build unix

package fleet

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// DirFS is os.DirFS(dir) for loading a fleet from disk, with a ReadFile
// that makes half the system calls: os.ReadFile opens a file through the
// runtime's poller (fcntl, epoll_ctl and fstat besides open, read and
// close), which for 10,000 small cluster files cost a quarter of
// `fleet diff`'s CPU time. Here: open, read until the end, close.
func DirFS(dir string) fs.FS { return diskFS{fsys: os.DirFS(dir), dir: dir} }

type diskFS struct {
	fsys fs.FS // os.DirFS(dir), for everything but ReadFile
	dir  string
}

func (d diskFS) Open(name string) (fs.File, error)          { return d.fsys.Open(name) }
func (d diskFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, name) }
func (d diskFS) Stat(name string) (fs.FileInfo, error)      { return fs.Stat(d.fsys, name) }

// ReadFile reads name whole; errors are *fs.PathError, as os.DirFS's.
func (d diskFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	full := d.dir + "/" + name
	var fd int
	var err error
	for {
		fd, err = syscall.Open(full, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: full, Err: err}
	}
	defer syscall.Close(fd) //nolint:errcheck // read only: nothing to lose
	// Fleet files are small: read into the stack and copy out what was
	// read, not a 4 KiB buffer per file for the collector to clear.
	var small [4096]byte
	n, err := readFull(fd, small[:])
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: full, Err: err}
	}
	if n < len(small) {
		return append([]byte(nil), small[:n]...), nil
	}
	data := append(make([]byte, 0, 2*len(small)), small[:]...)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := readFull(fd, data[len(data):cap(data)])
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: full, Err: err}
		}
		data = data[:len(data)+n]
		if len(data) < cap(data) {
			return data, nil
		}
	}
}

// readFull reads into buf until it is full or the file ends.
func readFull(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return n, err
		case m == 0:
			return n, nil
		}
		n += m
	}
	return n, nil
}

var (
	_ fs.ReadFileFS = diskFS{}
	_ fs.ReadDirFS  = diskFS{}
	_ fs.StatFS     = diskFS{}
)
