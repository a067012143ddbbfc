/* pb_workload: perfbusd's built-in workloads (cpu, memory, io), the seed's /simulate_work, as
 * targets. */
#include "pb_workload.h"

#include "pb_fdio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MEMORY_BYTES (64u << 20)
#define S_IO_BYTES     (8u << 20)

static volatile uint64_t s_sink;

__attribute__((noinline)) static uint64_t s_mix(uint64_t x, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

static void s_cpu(void *arg)
{
    (void)arg;
    uint64_t x = 1;
    for (int i = 0; i < 20000; i++)
        x = s_mix(x, 4000);
    s_sink = x;
}

static void s_memory(void *arg)
{
    (void)arg;
    unsigned char *block = malloc(S_MEMORY_BYTES);
    if (!block)
        return;
    memset(block, 0xA5, S_MEMORY_BYTES);
    __asm__ volatile("" : : "r"(block) : "memory"); /* keep the pages: no dead-store elision */
    s_sink = block[S_MEMORY_BYTES / 2];
    free(block);
}

static void s_io(void *arg)
{
    (void)arg;
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/perfbus-io-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    for (size_t done = 0; done < S_IO_BYTES; done += sizeof chunk)
        if (pb_fdio_write_all(fd, chunk, sizeof chunk) < 0)
            break;
    fsync(fd);
    close(fd);
    unlink(path);
}

int pb_workload_register_all(pb_agent_t *agent)
{
    int rc = pb_agent_register(agent, "cpu", s_cpu, NULL, PB_MODE_ALL,
                               "built-in: ~100 ms of integer arithmetic in 20000 calls");
    if (rc == 0)
        rc = pb_agent_register(agent, "memory", s_memory, NULL, PB_MODE_ALL,
                               "built-in: allocates, touches and frees 64 MiB");
    if (rc == 0)
        rc = pb_agent_register(agent, "io", s_io, NULL, PB_MODE_ALL,
                               "built-in: writes, fsyncs and deletes an 8 MiB file in $TMPDIR");
    return rc;
}
