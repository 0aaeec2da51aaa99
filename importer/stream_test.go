package importer

import (
	"bytes"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// genericGenerator writes a generic CSV of n rows as it is read, four snapshots per post, so
// that a test can feed a large file without holding it.
type genericGenerator struct {
	n, i int
	buf  []byte
	pos  int
	read int64
}

var genStart = time.Date(2026, 9, 14, 17, 5, 0, 0, time.UTC)

func (g *genericGenerator) Read(p []byte) (int, error) {
	for g.pos >= len(g.buf) {
		if g.i > g.n {
			return 0, io.EOF
		}
		g.buf, g.pos = g.buf[:0], 0
		if g.i == 0 {
			g.buf = append(g.buf, "external_id,variant_key,account,platform,posted_at,timezone,observed_at,url,caption,views,likes,comments,shares,saves,completion_rate\n"...)
		} else {
			g.buf = appendGeneratedRow(g.buf, g.i-1)
		}
		g.i++
	}
	k := copy(p, g.buf[g.pos:])
	g.pos += k
	g.read += int64(k)
	return k, nil
}

func appendGeneratedRow(b []byte, i int) []byte {
	post := i / 4
	posted := genStart.Add(time.Duration(post) * time.Hour)
	id := strconv.AppendInt(nil, 7290000000000000000+int64(post), 10)
	b = append(append(b, id...), ',')
	if post%2 == 0 {
		b = append(b, "evening-video,"...)
	} else {
		b = append(b, "morning-video,"...)
	}
	b = append(b, "ifrc,tiktok,"...)
	b = append(posted.AppendFormat(b, time.RFC3339), ",Europe/Zurich,"...)
	b = posted.Add(time.Duration(i%4+1)*6*time.Hour).AppendFormat(b, time.RFC3339)
	b = append(append(append(b, ",https://www.tiktok.com/@ifrc/video/"...), id...), `,"Tips, part `...)
	b = append(strconv.AppendInt(b, int64(post), 10), ` #ForClimate",`...)
	for _, v := range []int64{int64(1000 + i*7%5000), int64(80 + i%300), int64(i % 40), int64(i % 90), int64(i % 12)} {
		b = append(strconv.AppendInt(b, v, 10), ',')
	}
	return append(b, "0.42\n"...)
}

// A large file is read in memory that does not grow with it.
func TestStreamBoundedMemory(t *testing.T) {
	rows := 300_000
	if testing.Short() {
		rows = 50_000
	}
	gen := &genericGenerator{n: rows}
	r, err := NewReader(gen, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, uint64(0)
	count := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", count+2, err)
		}
		if count++; count%20_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if count != rows {
		t.Errorf("read %d rows, want %d", count, rows)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d rows, %.1f MiB streamed, live heap grew by %.2f MiB at most", count, float64(gen.read)/(1<<20), float64(growth)/(1<<20))
	if limit := int64(4 << 20); growth > limit {
		t.Errorf("live heap grew by %d bytes reading %d bytes, want at most %d", growth, gen.read, limit)
	}
}

// BenchmarkGenericCSV parses a 100,000-row generic CSV; rows/s is the figure to watch.
func BenchmarkGenericCSV(b *testing.B) {
	const rows = 100_000
	data, err := io.ReadAll(&genericGenerator{n: rows})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		for count := 0; ; count++ {
			_, err := r.Next()
			if err == io.EOF {
				if count != rows {
					b.Fatalf("read %d rows, want %d", count, rows)
				}
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}
