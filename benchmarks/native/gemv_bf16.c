// Native baseline for the CPU decode roofline: a bf16 x fp32 GEMV in C (AVX-512, OpenMP) over the
// LM-head-sized matrix of a checkpoint, next to a plain streaming read of the same bytes. It tells
// how much of the read bandwidth a GEMV can reach on the machine, independently of Java.
//   gcc -O3 -march=native -fopenmp gemv_bf16.c -o gemv_bf16 && OMP_NUM_THREADS=2 ./gemv_bf16 model.safetensors 250880 1024
#include <fcntl.h>
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline __m512 widen(const uint16_t* p) {   // 16 bf16 -> 16 fp32 (shift into the high half)
    __m256i h = _mm256_loadu_si256((const __m256i*) p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s FILE ROWS COLS\n", argv[0]);
        return 2;
    }
    long rows = atol(argv[2]), cols = atol(argv[3]);
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    const uint8_t* base = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    size_t bytes = (size_t) rows * cols * 2;
    const uint16_t* w = (const uint16_t*) (base + ((st.st_size - bytes) & ~63UL));
    float* x = aligned_alloc(64, cols * sizeof(float));
    float* y = aligned_alloc(64, rows * sizeof(float));
    for (long i = 0; i < cols; i++) x[i] = (float) (i % 7) * 0.1f;
    for (int rep = 0; rep < 8; rep++) {
        double t0 = now();
        float sink = 0;
#pragma omp parallel for reduction(+ : sink) schedule(static)
        for (long b = 0; b < (long) (bytes / 256); b++) {
            const __m512* p = (const __m512*) ((const uint8_t*) w + b * 256);
            __m512 a = _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps((float*) &p[0]), _mm512_loadu_ps((float*) &p[1])),
                                     _mm512_add_ps(_mm512_loadu_ps((float*) &p[2]), _mm512_loadu_ps((float*) &p[3])));
            sink += _mm512_reduce_add_ps(a);
        }
        double t1 = now();
#pragma omp parallel for schedule(static)
        for (long o = 0; o < rows; o += 4) {
            const uint16_t* r0 = w + o * cols;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long i = 0; i < cols; i += 16) {
                __m512 xv = _mm512_loadu_ps(x + i);
                a0 = _mm512_fmadd_ps(widen(r0 + i), xv, a0);
                a1 = _mm512_fmadd_ps(widen(r0 + cols + i), xv, a1);
                a2 = _mm512_fmadd_ps(widen(r0 + 2 * cols + i), xv, a2);
                a3 = _mm512_fmadd_ps(widen(r0 + 3 * cols + i), xv, a3);
            }
            y[o] = _mm512_reduce_add_ps(a0);
            y[o + 1] = _mm512_reduce_add_ps(a1);
            y[o + 2] = _mm512_reduce_add_ps(a2);
            y[o + 3] = _mm512_reduce_add_ps(a3);
        }
        double t2 = now();
        if (rep >= 3) printf("read %.1f GB/s   gemv %.1f GB/s   (%g %g)\n", bytes / (t1 - t0) / 1e9, bytes / (t2 - t1) / 1e9, sink, y[rows / 2]);
    }
    return 0;
}
