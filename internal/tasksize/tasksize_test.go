package tasksize_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-ecs/kube-ecs/internal/tasksize"
)

// fargateTable is the Fargate size table written out independently of the package's, from
// the AWS documentation: cpu units -> valid memory MiB.
var fargateTable = func() map[int][]int {
	t := map[int][]int{256: {512, 1024, 2048}}
	add := func(cpu, from, to, step int) {
		for m := from; m <= to; m += step {
			t[cpu] = append(t[cpu], m)
		}
	}
	add(512, 1024, 4096, 1024)
	add(1024, 2048, 8192, 1024)
	add(2048, 4096, 16384, 1024)
	add(4096, 8192, 30720, 1024)
	add(8192, 16384, 61440, 4096)
	add(16384, 32768, 122880, 8192)
	return t
}()

var fargateCPUs = []int{256, 512, 1024, 2048, 4096, 8192, 16384}

func TestRoundUpToFargate(t *testing.T) {
	type pair struct{ CPU, Memory int }
	tests := []struct {
		name        string
		cpu, memory int
		want        pair
		wantErr     bool
	}{
		{"zero asks for the smallest size", 0, 0, pair{256, 512}, false},
		{"valid smallest pair is kept", 256, 512, pair{256, 512}, false},
		{"valid middle pair is kept", 1024, 3072, pair{1024, 3072}, false},
		{"valid largest pair is kept", 16384, 122880, pair{16384, 122880}, false},
		{"memory rounds up within the cpu", 256, 513, pair{256, 1024}, false},
		{"memory 1025 at 256 is 2048", 256, 1025, pair{256, 2048}, false},
		{"memory too large for 256 moves to 512", 256, 3000, pair{512, 3072}, false},
		{"memory 4097 at 256 moves to 1024", 256, 4097, pair{1024, 5120}, false},
		{"cpu rounds up, memory to that cpu's minimum", 300, 512, pair{512, 1024}, false},
		{"cpu 0.75 vCPU", 768, 1536, pair{1024, 2048}, false},
		{"cpu 1025", 1025, 0, pair{2048, 4096}, false},
		{"memory below the cpu's minimum rises to it", 2048, 1024, pair{2048, 4096}, false},
		{"memory off step at 2048", 2048, 4100, pair{2048, 5120}, false},
		{"4096 allows 1 GiB steps up to 30720", 4096, 29000, pair{4096, 29696}, false},
		{"above 30720 needs 8192", 4096, 30721, pair{8192, 32768}, false},
		{"8192 steps by 4 GiB", 8192, 16385, pair{8192, 20480}, false},
		{"8192 largest", 8192, 61440, pair{8192, 61440}, false},
		{"above 61440 needs 16384", 1024, 61441, pair{16384, 65536}, false},
		{"16384 steps by 8 GiB", 16384, 32769, pair{16384, 40960}, false},
		{"cpu 4097 with little memory", 4097, 1, pair{8192, 16384}, false},
		{"cpu too large", 16385, 0, pair{}, true},
		{"memory too large", 256, 122881, pair{}, true},
		{"both too large", 20000, 200000, pair{}, true},
		{"negative cpu", -1, 512, pair{}, true},
		{"negative memory", 256, -512, pair{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, mem, err := tasksize.RoundUpToFargate(tt.cpu, tt.memory)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RoundUpToFargate(%d, %d) error = %v, want error %t", tt.cpu, tt.memory, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, pair{cpu, mem}); diff != "" {
				t.Errorf("RoundUpToFargate(%d, %d) mismatch (-want +got):\n%s", tt.cpu, tt.memory, diff)
			}
		})
	}
}

// TestRoundUpToFargateExhaustive checks every request on a grid against a brute-force
// search of the independently written table: the result is valid, large enough, and no
// valid pair is smaller (lowest cpu first, then lowest memory).
func TestRoundUpToFargateExhaustive(t *testing.T) {
	bruteForce := func(cpu, mem int) (int, int, bool) {
		for _, c := range fargateCPUs {
			if c < cpu {
				continue
			}
			for _, m := range fargateTable[c] {
				if m >= mem {
					return c, m, true
				}
			}
		}
		return 0, 0, false
	}
	for cpu := 0; cpu <= 17000; cpu += 97 {
		for mem := 0; mem <= 125000; mem += 511 {
			gotCPU, gotMem, err := tasksize.RoundUpToFargate(cpu, mem)
			wantCPU, wantMem, ok := bruteForce(cpu, mem)
			if ok != (err == nil) || gotCPU != wantCPU || gotMem != wantMem {
				t.Fatalf("RoundUpToFargate(%d, %d) = %d, %d, %v; want %d, %d (found %t)", cpu, mem, gotCPU, gotMem, err, wantCPU, wantMem, ok)
			}
		}
	}
}

func TestIsFargate(t *testing.T) {
	valid := 0
	for cpu := 0; cpu <= 16384; cpu += 128 {
		for mem := 0; mem <= 122880; mem += 512 {
			want := false
			for _, m := range fargateTable[cpu] {
				want = want || m == mem
			}
			if got := tasksize.IsFargate(cpu, mem); got != want {
				t.Fatalf("IsFargate(%d, %d) = %t, want %t", cpu, mem, got, want)
			}
			if want {
				valid++
			}
		}
	}
	// 3 + 4 + 7 + 13 + 23 + 12 + 12 sizes.
	if valid != 74 {
		t.Errorf("found %d valid Fargate sizes on the grid, want 74", valid)
	}
}

func ExampleRoundUpToFargate() {
	cpu, memory, err := tasksize.RoundUpToFargate(768, 3000)
	fmt.Println(cpu, memory, err)
	// Output: 1024 3072 <nil>
}

func TestFargateSizeForContainers(t *testing.T) {
	tests := []struct {
		name             string
		cpu, memory      int
		wantCPU, wantMem int
		wantErr          bool
	}{
		{"nothing asked: the smallest size", 0, 0, 256, 512, false},
		{"256 MiB asked: 512 with the overhead", 256, 256, 256, 512, false},
		{"257 MiB asked: 513 with the overhead, rounded to 1024", 256, 257, 256, 1024, false},
		{"512 MiB asked: 768, rounded to 1024 (a 0.25vCPU 0.5GB task definition would fit without it)", 256, 512, 256, 1024, false},
		{"1792 MiB asked: exactly 2048", 256, 1792, 256, 2048, false},
		{"1793 MiB asked: above 2048, the next cpu", 256, 1793, 512, 3072, false},
		{"1 vCPU, 4 GiB asked", 1024, 4096, 1024, 5120, false},
		{"the largest size cannot hold the overhead on top", 16384, 122880, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, mem, err := tasksize.FargateSizeForContainers(tt.cpu, tt.memory)
			if (err != nil) != tt.wantErr || cpu != tt.wantCPU || mem != tt.wantMem {
				t.Errorf("FargateSizeForContainers(%d, %d) = %d, %d, %v; want %d, %d, error %t", tt.cpu, tt.memory, cpu, mem, err, tt.wantCPU, tt.wantMem, tt.wantErr)
			}
		})
	}
}
