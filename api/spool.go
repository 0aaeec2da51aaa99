package api

import (
	"fmt"
	"io"
	"os"

	"postlab/importer"
)

// spoolUpload copies an uploaded file to an unlinked temporary file, at whatever pace the client
// sends it, before the import touches the database: a slow upload then holds a file, never a
// transaction or a connection of the pool. The file goes away when closed.
func spoolUpload(body io.Reader) (*os.File, error) {
	f, err := os.CreateTemp("", "postlab-import-*")
	if err != nil {
		return nil, fmt.Errorf("spool import: %w", err)
	}
	_ = os.Remove(f.Name()) // unlinked: nothing is left behind, even after a crash
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return nil, uploadError(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool import: %w", err)
	}
	return f, nil
}

// spooledSource reads the rows of a spooled upload, and can read them again from the start
// (experiments.RewindableSource), so that an import checks every row before its transaction
// without holding the rows in memory.
type spooledSource struct {
	rowSource
	file *os.File
	opts importer.Options
}

func (s *spooledSource) Rewind() error {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind spooled import: %w", err)
	}
	r, err := importer.NewReader(s.file, s.opts)
	if err != nil {
		return fmt.Errorf("reopen spooled import: %w", err)
	}
	s.rowSource = rowSource{r}
	return nil
}
