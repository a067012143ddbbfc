/* perfbus-demo: an application linking libperfbus, with targets of a known shape and a request
 * loop. */
#include "perfbus.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Shapes the tests rely on (tests/py/test_profile_demo.py repeats them):
 * split   split_a and split_b are each called SPLIT_PAIRS times per run and
 *         do 7 and 3 units of the same arithmetic: a 70/30 CPU split;
 * fib     demo_fib(FIB_N) recursively: 2 * F(FIB_N + 1) - 1 calls per run;
 * threads two threads run work_left and work_right, equal work each;
 * memory  64 MiB touched then freed; io: 8 MiB written, fsynced, deleted;
 * sleep   10 naps of 10 ms in demo_nap; hang: 3 s of naps; crash: a write
 *         to a PROT_NONE page (registered disabled).
 * The section "request" wraps each request of the main loop (~0.6 ms of
 * work: parse 200, compute 500, respond 100 units; one every 10 ms). */

#define SPLIT_PAIRS 20000
#define UNIT        1000
#define FIB_N       27
#define THREAD_WORK (250u * 1000 * 1000)
#define MEMORY      (64u << 20)
#define IO_BYTES    (8u << 20)

#define SPIN(x, n)                                                                                 \
    do {                                                                                           \
        for (unsigned i_ = 0; i_ < (n); i_++)                                                      \
            (x) = (x)*6364136223846793005ull + 1442695040888963407ull;                             \
    } while (0)

static volatile uint64_t s_sink;
static volatile sig_atomic_t s_stop;

__attribute__((noinline)) void split_a(void)
{
    uint64_t x = s_sink;
    SPIN(x, 7 * UNIT);
    s_sink = x;
}

__attribute__((noinline)) void split_b(void)
{
    uint64_t x = s_sink;
    SPIN(x, 3 * UNIT);
    s_sink = x;
}

static void target_split(void *arg)
{
    (void)arg;
    for (int i = 0; i < SPLIT_PAIRS; i++) {
        split_a();
        split_b();
    }
}

__attribute__((noinline)) unsigned long demo_fib(int n)
{
    return n < 2 ? (unsigned long)n : demo_fib(n - 1) + demo_fib(n - 2);
}

static void target_fib(void *arg)
{
    (void)arg;
    s_sink = demo_fib(FIB_N);
}

__attribute__((noinline)) static void work_left(void)
{
    uint64_t x = s_sink;
    SPIN(x, THREAD_WORK);
    s_sink = x;
}

__attribute__((noinline)) static void work_right(void)
{
    uint64_t x = s_sink;
    SPIN(x, THREAD_WORK);
    s_sink = x;
}

static void *thread_left(void *arg)
{
    (void)arg;
    int token = pb_agent_thread_join();
    work_left();
    pb_agent_thread_leave(token);
    return NULL;
}

static void *thread_right(void *arg)
{
    (void)arg;
    int token = pb_agent_thread_join();
    work_right();
    pb_agent_thread_leave(token);
    return NULL;
}

static void target_threads(void *arg)
{
    (void)arg;
    pthread_t left, right;
    if (pthread_create(&left, NULL, thread_left, NULL) != 0)
        return;
    if (pthread_create(&right, NULL, thread_right, NULL) != 0) {
        pthread_join(left, NULL);
        return;
    }
    pthread_join(left, NULL);
    pthread_join(right, NULL);
}

static void target_memory(void *arg)
{
    (void)arg;
    unsigned char *block = malloc(MEMORY);
    if (!block)
        return;
    memset(block, 0x5A, MEMORY);
    __asm__ volatile("" : : "r"(block) : "memory"); /* keep the pages: no dead-store elision */
    s_sink = block[MEMORY - 1];
    free(block);
}

static void target_io(void *arg)
{
    (void)arg;
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/perfbus-demo-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    static char chunk[64 * 1024];
    memset(chunk, 'y', sizeof chunk);
    for (size_t done = 0; done < IO_BYTES; done += sizeof chunk)
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            break;
    fsync(fd);
    close(fd);
    unlink(path);
}

/* Sleeps ms milliseconds even when the profiler's signals interrupt it. */
__attribute__((noinline)) void demo_nap(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
}

static void target_sleep(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        demo_nap(10);
}

static void target_hang(void *arg)
{
    (void)arg;
    for (int i = 0; i < 60 && !s_stop; i++)
        demo_nap(50);
}

static void target_crash(void *arg)
{
    (void)arg;
    volatile char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED)
        page[0] = 1; /* SIGSEGV: the agent reports the target as crashed */
}

__attribute__((noinline)) void request_parse(uint64_t *x)
{
    SPIN(*x, 200 * UNIT);
}

__attribute__((noinline)) void request_compute(uint64_t *x)
{
    SPIN(*x, 500 * UNIT);
}

__attribute__((noinline)) void request_respond(uint64_t *x)
{
    SPIN(*x, 100 * UNIT);
}

__attribute__((noinline)) static void handle_request(pb_agent_t *agent)
{
    int token = pb_agent_section_begin(agent, "request");
    uint64_t x = s_sink;
    request_parse(&x);
    request_compute(&x);
    request_respond(&x);
    s_sink = x;
    pb_agent_section_end(agent, token);
}

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static int s_register(pb_agent_t *agent)
{
    int rc = pb_agent_register(agent, "split", target_split, NULL, PB_MODE_ALL,
                               "split_a and split_b, 70/30 of CPU, 20000 calls each per run");
    rc = rc ? rc
            : pb_agent_register(agent, "fib", target_fib, NULL, PB_MODE_ALL,
                                "recursive demo_fib(27): 635621 calls per run");
    rc = rc ? rc
            : pb_agent_register(agent, "threads", target_threads, NULL, PB_MODE_ALL,
                                "two threads doing equal work (work_left, work_right)");
    rc = rc ? rc
            : pb_agent_register(agent, "memory", target_memory, NULL, PB_MODE_ALL,
                                "allocates and touches 64 MiB, then frees it");
    rc = rc ? rc
            : pb_agent_register(agent, "io", target_io, NULL, PB_MODE_ALL,
                                "writes, fsyncs and deletes an 8 MiB file in $TMPDIR");
    rc = rc ? rc
            : pb_agent_register(agent, "sleep", target_sleep, NULL, PB_MODE_ALL,
                                "sleeps 100 ms in 10 naps (wall-clock sampling sees it)");
    rc = rc ? rc
            : pb_agent_register(agent, "hang", target_hang, NULL, PB_MODE_ALL,
                                "does not return for 3 s");
    rc =
        rc ? rc
           : pb_agent_register(agent, "crash", target_crash, NULL, PB_MODE_ALL | PB_TARGET_DISABLED,
                               "dereferences a PROT_NONE page (disabled until registered)");
    return rc;
}

static void s_usage(void)
{
    fprintf(stderr, "usage: perfbus-demo [--endpoint EP] [--pub EP] [--command NAME CMD...]\n"
                    "  prints the bound endpoints, serves until SIGINT/SIGTERM\n");
}

int main(int argc, char **argv)
{
    pb_agent_config_t config = {0};
    int command_at = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc)
            config.endpoint = argv[++i];
        else if (strcmp(argv[i], "--pub") == 0 && i + 1 < argc)
            config.pub_endpoint = argv[++i];
        else if (strcmp(argv[i], "--command") == 0 && i + 2 < argc) {
            command_at = i + 1;
            break;
        } else {
            s_usage();
            return 2;
        }
    }
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    pb_agent_t *agent = pb_agent_new(&config);
    if (!agent) {
        fprintf(stderr, "perfbus-demo: cannot start the agent: %s\n", strerror(errno));
        return 1;
    }
    int rc = s_register(agent);
    if (rc == 0 && command_at)
        rc = pb_agent_register_command(agent, argv[command_at], &argv[command_at + 1],
                                       "command target from the command line");
    if (rc < 0) {
        fprintf(stderr, "perfbus-demo: cannot register targets: %s\n", strerror(-rc));
        pb_agent_destroy(&agent);
        return 1;
    }
    printf("endpoint %s\npub %s\n", pb_agent_endpoint(agent), pb_agent_pub_endpoint(agent));
    fflush(stdout);
    while (!s_stop) {
        handle_request(agent);
        demo_nap(10);
    }
    pb_agent_destroy(&agent);
    return 0;
}
