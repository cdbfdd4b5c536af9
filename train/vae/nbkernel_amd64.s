//go:build amd64 && !purego

#include "textflag.h"

// Constants, each replicated 8 times (one YMM register).
#define VEC8(name, bits) \
	DATA name<>+0(SB)/4, $bits; DATA name<>+4(SB)/4, $bits; \
	DATA name<>+8(SB)/4, $bits; DATA name<>+12(SB)/4, $bits; \
	DATA name<>+16(SB)/4, $bits; DATA name<>+20(SB)/4, $bits; \
	DATA name<>+24(SB)/4, $bits; DATA name<>+28(SB)/4, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC8(one, 0x3f800000)     // 1.0
VEC8(half, 0x3f000000)    // 0.5
VEC8(mhalf, 0xbf000000)   // -0.5
VEC8(expLo, 0xc2ae999a)   // -87.30 (keeps 2^n normal)
VEC8(log2e, 0x3fb8aa3b)   // 1.44269504
VEC8(c1, 0x3f318000)      // 0.693359375
VEC8(c2, 0xb95e8083)      // -2.12194440e-4
VEC8(ep0, 0x39506967)     // 1.9875691500e-4
VEC8(ep1, 0x3ab743ce)     // 1.3981999507e-3
VEC8(ep2, 0x3c088908)     // 8.3334519073e-3
VEC8(ep3, 0x3d2aa9c1)     // 4.1665795894e-2
VEC8(ep4, 0x3e2aaaaa)     // 1.6666665459e-1
VEC8(ep5, 0x3f000000)     // 5.0000001201e-1
VEC8(i127, 0x0000007f)    // int 127
VEC8(i126, 0x0000007e)    // int 126
VEC8(mant, 0x807fffff)    // mantissa and sign bits
VEC8(sqrthf, 0x3f3504f3)  // 0.707106781
VEC8(lp0, 0x3d9021bb)     // 7.0376836292e-2
VEC8(lp1, 0xbdebd1b8)     // -1.1514610310e-1
VEC8(lp2, 0x3def251a)     // 1.1676998740e-1
VEC8(lp3, 0xbdfe5d4f)     // -1.2420140846e-1
VEC8(lp4, 0x3e11e9bf)     // 1.4249322787e-1
VEC8(lp5, 0xbe2aae50)     // -1.6668057665e-1
VEC8(lp6, 0x3e4cceac)     // 2.0000714765e-1
VEC8(lp7, 0xbe7ffffc)     // -2.4999993993e-1
VEC8(lp8, 0x3eaaaaaa)     // 3.3333331174e-1

// func expShiftSum(n int, src, dst *float32, shift float32) float32
// dst[i] = exp(src[i] − shift) for i < n (n a positive multiple of 8; the
// arguments are ≤ 0 in use), returning Σ dst[i]. Cephes expf: relative error
// about 1e-7.
TEXT ·expShiftSum(SB), NOSPLIT, $0-36
	MOVQ         n+0(FP), CX
	MOVQ         src+8(FP), SI
	MOVQ         dst+16(FP), DI
	VBROADCASTSS shift+24(FP), Y0
	VXORPS       Y5, Y5, Y5
	VMOVUPS      expLo<>(SB), Y6
	SHRQ         $3, CX

eloop:
	VMOVUPS      (SI), Y1
	VSUBPS       Y0, Y1, Y1
	// max(expLo, x): MAXPS returns its second source (Intel order, here
	// the first operand) when either is NaN, so x goes there and a NaN
	// argument stays NaN, as in fastExp.
	VMAXPS       Y1, Y6, Y1
	VMOVUPS      log2e<>(SB), Y2
	VFMADD213PS  half<>(SB), Y1, Y2
	VROUNDPS     $1, Y2, Y2
	VFNMADD231PS c1<>(SB), Y2, Y1
	VFNMADD231PS c2<>(SB), Y2, Y1
	VMULPS       Y1, Y1, Y3
	VMOVUPS      ep0<>(SB), Y4
	VFMADD213PS  ep1<>(SB), Y1, Y4
	VFMADD213PS  ep2<>(SB), Y1, Y4
	VFMADD213PS  ep3<>(SB), Y1, Y4
	VFMADD213PS  ep4<>(SB), Y1, Y4
	VFMADD213PS  ep5<>(SB), Y1, Y4
	VFMADD213PS  Y1, Y3, Y4
	VADDPS       one<>(SB), Y4, Y4
	VCVTTPS2DQ   Y2, Y2
	VPADDD       i127<>(SB), Y2, Y2
	VPSLLD       $23, Y2, Y2
	VMULPS       Y2, Y4, Y4
	VMOVUPS      Y4, (DI)
	VADDPS       Y4, Y5, Y5
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          eloop

	VEXTRACTF128 $1, Y5, X1
	VADDPS       X1, X5, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VMOVSS       X1, ret+32(FP)
	VZEROUPPER
	RET

// func nbRow(n int, l, x, theta, logTheta, drow, dacc *float32, a *nbArgs)
// The dense part of the NB likelihood for one cell, 8 genes at a time
// (n a positive multiple of 8). On entry drow holds e = exp(l − max l).
// With ρ = e·a.invS, μ = ρ·a.lib, t = θ + μ:
//   a.ll   += Σ θ(log θ − log t) + x(a.cst + l − log t)
//   a.sumR += Σ r,  r = x − (θ + x)·μ/t;   drow = r;   l = ρ
//   dacc   += a.negScale·θ·(log θ − log t + (μ − x)/t)
// log is Cephes logf (absolute error about 1e-7).
TEXT ·nbRow(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ l+8(FP), SI
	MOVQ x+16(FP), R8
	MOVQ theta+24(FP), R9
	MOVQ logTheta+32(FP), R10
	MOVQ drow+40(FP), DI
	MOVQ dacc+48(FP), R11
	MOVQ a+56(FP), AX
	VBROADCASTSS 0(AX), Y0  // invS
	VBROADCASTSS 4(AX), Y1  // lib
	VBROADCASTSS 8(AX), Y2  // cst
	VBROADCASTSS 12(AX), Y3 // negScale
	VXORPS       Y14, Y14, Y14
	VXORPS       Y15, Y15, Y15
	SHRQ         $3, CX

nloop:
	VMULPS      (DI), Y0, Y4 // ρ
	VMULPS      Y4, Y1, Y5   // μ
	VMOVUPS     (R9), Y6     // θ
	VADDPS      Y6, Y5, Y7   // t
	// Y8 = log t
	VPSRLD      $23, Y7, Y9
	VPSUBD      i126<>(SB), Y9, Y9
	VCVTDQ2PS   Y9, Y9       // exponent
	VANDPS      mant<>(SB), Y7, Y10
	VORPS       half<>(SB), Y10, Y10 // mantissa in [0.5, 1)
	VCMPPS      $1, sqrthf<>(SB), Y10, Y11
	VANDPS      one<>(SB), Y11, Y12
	VSUBPS      Y12, Y9, Y9
	VANDPS      Y10, Y11, Y12
	VSUBPS      one<>(SB), Y10, Y10
	VADDPS      Y12, Y10, Y10 // f
	VMULPS      Y10, Y10, Y11 // z = f²
	VMOVUPS     lp0<>(SB), Y12
	VFMADD213PS lp1<>(SB), Y10, Y12
	VFMADD213PS lp2<>(SB), Y10, Y12
	VFMADD213PS lp3<>(SB), Y10, Y12
	VFMADD213PS lp4<>(SB), Y10, Y12
	VFMADD213PS lp5<>(SB), Y10, Y12
	VFMADD213PS lp6<>(SB), Y10, Y12
	VFMADD213PS lp7<>(SB), Y10, Y12
	VFMADD213PS lp8<>(SB), Y10, Y12
	VMULPS      Y10, Y12, Y12
	VMULPS      Y11, Y12, Y12
	VFMADD231PS c2<>(SB), Y9, Y12
	VFMADD231PS mhalf<>(SB), Y11, Y12
	VADDPS      Y12, Y10, Y8
	VFMADD231PS c1<>(SB), Y9, Y8
	// Y9 = 1/t, Y10 = x, Y11 = log θ − log t
	VMOVUPS     one<>(SB), Y9
	VDIVPS      Y7, Y9, Y9
	VMOVUPS     (R8), Y10
	VMOVUPS     (R10), Y11
	VSUBPS      Y8, Y11, Y11
	VFMADD231PS Y11, Y6, Y15 // ll += θ·(log θ − log t)
	VADDPS      (SI), Y2, Y12
	VSUBPS      Y8, Y12, Y12
	VXORPS      Y13, Y13, Y13
	VCMPPS      $4, Y13, Y10, Y13 // x ≠ 0
	VANDPS      Y13, Y12, Y12     // so the term is 0 at x = 0 even where l is −∞
	VFMADD231PS Y12, Y10, Y15     // ll += x·(cst + l − log t)
	VSUBPS      Y10, Y5, Y12
	VFMADD231PS Y12, Y9, Y11 // dθ = log θ − log t + (μ − x)/t
	VMULPS      Y6, Y3, Y12
	VMOVUPS     (R11), Y13
	VFMADD231PS Y12, Y11, Y13
	VMOVUPS     Y13, (R11)
	VADDPS      Y10, Y6, Y12
	VMULPS      Y5, Y12, Y12
	VMULPS      Y9, Y12, Y12
	VSUBPS      Y12, Y10, Y12 // r
	VADDPS      Y12, Y14, Y14
	VMOVUPS     Y12, (DI)
	VMOVUPS     Y4, (SI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	DECQ        CX
	JNZ         nloop

	VEXTRACTF128 $1, Y15, X1
	VADDPS       X1, X15, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VMOVSS       X1, 16(AX)
	VEXTRACTF128 $1, Y14, X1
	VADDPS       X1, X14, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VMOVSS       X1, 20(AX)
	VZEROUPPER
	RET
