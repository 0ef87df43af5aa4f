// sse_amd64.h: saving and loading a thread's SSE state (MXCSR, XMM0-15)
// in an FXSAVE image, at FXSAVE's offsets, without touching its x87
// part (see "The FPU" in user.go). R is a register holding the image's
// 16-byte-aligned address.

#define SSE_SAVE(R) \
	STMXCSR	24(R); \
	MOVUPS	X0, 160(R); \
	MOVUPS	X1, 176(R); \
	MOVUPS	X2, 192(R); \
	MOVUPS	X3, 208(R); \
	MOVUPS	X4, 224(R); \
	MOVUPS	X5, 240(R); \
	MOVUPS	X6, 256(R); \
	MOVUPS	X7, 272(R); \
	MOVUPS	X8, 288(R); \
	MOVUPS	X9, 304(R); \
	MOVUPS	X10, 320(R); \
	MOVUPS	X11, 336(R); \
	MOVUPS	X12, 352(R); \
	MOVUPS	X13, 368(R); \
	MOVUPS	X14, 384(R); \
	MOVUPS	X15, 400(R)

#define SSE_LOAD(R) \
	LDMXCSR	24(R); \
	MOVUPS	160(R), X0; \
	MOVUPS	176(R), X1; \
	MOVUPS	192(R), X2; \
	MOVUPS	208(R), X3; \
	MOVUPS	224(R), X4; \
	MOVUPS	240(R), X5; \
	MOVUPS	256(R), X6; \
	MOVUPS	272(R), X7; \
	MOVUPS	288(R), X8; \
	MOVUPS	304(R), X9; \
	MOVUPS	320(R), X10; \
	MOVUPS	336(R), X11; \
	MOVUPS	352(R), X12; \
	MOVUPS	368(R), X13; \
	MOVUPS	384(R), X14; \
	MOVUPS	400(R), X15
