/*
 * Runs test snippets natively as a 32-bit Linux process and records the state each one
 * ends in, for comparison with termu's CPU (native-differential.test.ts builds this with
 * gcc -m32 in a temp dir).
 *
 * Input file: u32 codeSize, code (mapped at CODE_BASE), DATA_SIZE bytes of initial data
 * (mapped at DATA_BASE, fresh for every case), u32 caseCount, then per case
 * u32 eax ecx edx ebx esp ebp esi edi eflags eip.
 * Output file, per case: u32 eax ecx edx ebx esp ebp esi edi eflags eip trapno,
 * u32 fpu cw sw tw, 8 x 10 bytes ST(0)-ST(7), then the DATA_SIZE data bytes.
 *
 * A snippet ends with HLT: at CPL 3 it raises #GP (SIGSEGV) with EIP on the HLT, which
 * is reported as trapno 256. Other faults (#DE, #UD, #MF …) report their vector. The
 * signal handler runs on its own stack so the snippet's stack memory is not disturbed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CODE_BASE 0x00400000u
#define DATA_BASE 0x00500000u
#define DATA_SIZE 0x1000u
#define END_BY_HLT 256u

struct state_in { uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eflags, eip; };

uint32_t snippet_target;
void enter_snippet(struct state_in *s);
/* Loads every register from *s (EFLAGS first, through the host stack) and jumps. */
__asm__(
    ".globl enter_snippet\n"
    "enter_snippet:\n"
    "  mov 4(%esp), %eax\n"
    "  mov 36(%eax), %ecx\n"
    "  mov %ecx, snippet_target\n"
    "  fninit\n"
    "  pushl 32(%eax)\n"
    "  popfl\n"
    "  mov 4(%eax), %ecx\n"
    "  mov 8(%eax), %edx\n"
    "  mov 12(%eax), %ebx\n"
    "  mov 16(%eax), %esp\n"
    "  mov 20(%eax), %ebp\n"
    "  mov 24(%eax), %esi\n"
    "  mov 28(%eax), %edi\n"
    "  mov 0(%eax), %eax\n"
    "  jmp *snippet_target\n");

static sigjmp_buf back;
static uint32_t out_regs[11];
static uint32_t out_fpu[3];
static uint8_t out_st[80];

static void on_signal(int sig, siginfo_t *info, void *ctx) {
  (void)info;
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  out_regs[0] = g[REG_EAX];
  out_regs[1] = g[REG_ECX];
  out_regs[2] = g[REG_EDX];
  out_regs[3] = g[REG_EBX];
  out_regs[4] = g[REG_UESP];
  out_regs[5] = g[REG_EBP];
  out_regs[6] = g[REG_ESI];
  out_regs[7] = g[REG_EDI];
  out_regs[8] = g[REG_EFL];
  out_regs[9] = g[REG_EIP];
  uint32_t trapno = g[REG_TRAPNO];
  if (sig == SIGSEGV && trapno == 13 && *(uint8_t *)(uintptr_t)g[REG_EIP] == 0xf4) trapno = END_BY_HLT;
  out_regs[10] = trapno;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  out_fpu[0] = fp->cw & 0xffff;
  out_fpu[1] = fp->sw & 0xffff;
  out_fpu[2] = fp->tag & 0xffff;
  memcpy(out_st, fp->_st, 80);
  siglongjmp(back, 1);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUT OUTPUT\n", argv[0]);
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  FILE *out = fopen(argv[2], "wb");
  if (!in || !out) die("open");
  uint32_t code_size;
  if (fread(&code_size, 4, 1, in) != 1) die("read");
  uint8_t *code = mmap((void *)CODE_BASE, (code_size + 0xfff) & ~0xfffu, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *data = mmap((void *)DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (void *)CODE_BASE || data != (void *)DATA_BASE) die("mmap");
  static uint8_t initial[DATA_SIZE];
  if (fread(code, 1, code_size, in) != code_size || fread(initial, 1, DATA_SIZE, in) != DATA_SIZE) die("read");
  uint32_t count;
  if (fread(&count, 4, 1, in) != 1) die("read");

  static uint8_t altstack[65536];
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
  if (sigaltstack(&ss, NULL)) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);

  for (uint32_t i = 0; i < count; i++) {
    static struct state_in s;
    if (fread(&s, sizeof s, 1, in) != 1) die("read");
    memcpy(data, initial, DATA_SIZE);
    if (sigsetjmp(back, 1) == 0) enter_snippet(&s);
    fwrite(out_regs, 4, 11, out);
    fwrite(out_fpu, 4, 3, out);
    fwrite(out_st, 1, 80, out);
    fwrite(data, 1, DATA_SIZE, out);
  }
  fclose(out);
  return 0;
}
