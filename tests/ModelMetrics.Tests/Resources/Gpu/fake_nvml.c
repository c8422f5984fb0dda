/* Copyright (c) ModelMetrics contributors. Licensed under the MIT License.
 *
 * A fake NVML (libnvidia-ml.so.1) for NvmlReaderTests: the functions NvmlReader calls, with the signatures and
 * struct layouts of nvml.h, returning scripted values and error codes. Built at test time:
 *
 *   gcc -shared -fPIC -o <dir>/libnvidia-ml.so.1 fake_nvml.c [-DFAKE_OLD_DRIVER]
 *
 * FAKE_OLD_DRIVER leaves out nvmlDeviceGetTotalEnergyConsumption and nvmlDeviceGetGraphicsRunningProcesses_v3,
 * as a driver older than them would.
 *
 * The script is <dir>/script.txt, next to the library (found with dladdr, so that each scenario is one directory
 * and one loaded library), read again by every nvmlInit_v2. One key=value a line:
 *
 *   init_rc=9                       what nvmlInit_v2 returns (default 0)
 *   count=2 / count_rc=4            device count, or what nvmlDeviceGetCount_v2 returns
 *   d0.uuid=GPU-... d0.name=...     device 0's strings
 *   d0.util=37 d0.mem_total=... d0.mem_used=... d0.power_mw=... d0.energy_mj=... d0.temp=...
 *   d0.compute=pid:bytes:gi:ci,...  compute processes (gi, ci default to 0xFFFFFFFF: no MIG)
 *   d0.graphics=pid:bytes:gi:ci,... graphics processes
 *   d0.rc.<fn>=3                    what <fn> returns for device 0: handle, uuid, name, util, memory, power,
 *                                   energy, temp, compute, graphics
 *   d0.lost_after=2                 device 0 answers GPU_IS_LOST to everything from its third reading on (a
 *                                   reading is one nvmlDeviceGetUtilizationRates call)
 *   d0.compute_grows=1              the compute list always has more entries than the buffer it is given
 *
 * Every call appends "<fn> <device> <rc> <capacity>" to <dir>/calls.log, so that a test can check what was asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_GPU_IS_LOST 15

#define MAX_DEVICES 4
#define MAX_PROCESSES 16

/* The layouts of nvml.h. */
typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;
typedef struct fake_device *nvmlDevice_t;

enum { FN_HANDLE, FN_UUID, FN_NAME, FN_UTIL, FN_MEMORY, FN_POWER, FN_ENERGY, FN_TEMP, FN_COMPUTE, FN_GRAPHICS, FN_COUNT };
static const char *fn_names[FN_COUNT] = {
    "handle", "uuid", "name", "util", "memory", "power", "energy", "temp", "compute", "graphics",
};

struct fake_device {
    char uuid[96];
    char name[96];
    unsigned int util;
    unsigned long long mem_total, mem_used;
    unsigned int power_mw;
    unsigned long long energy_mj;
    unsigned int temp;
    int rc[FN_COUNT];
    int lost_after;
    int readings;
    int compute_grows;
    nvmlProcessInfo_t compute[MAX_PROCESSES];
    unsigned int compute_count;
    nvmlProcessInfo_t graphics[MAX_PROCESSES];
    unsigned int graphics_count;
};

static struct fake_device devices[MAX_DEVICES];
static int init_rc, count_rc, initialized;
static unsigned int device_count;
static char directory[4096];

static void find_directory(void)
{
    Dl_info info;
    if (directory[0] != 0 || dladdr((void *)&find_directory, &info) == 0 || info.dli_fname == NULL) {
        return;
    }

    snprintf(directory, sizeof directory, "%s", info.dli_fname);
    char *slash = strrchr(directory, '/');
    if (slash != NULL) {
        *slash = 0;
    } else {
        snprintf(directory, sizeof directory, ".");
    }
}

static void log_call(const char *fn, int device, int rc, unsigned int capacity)
{
    char path[4200];
    find_directory();
    snprintf(path, sizeof path, "%s/calls.log", directory);
    FILE *log = fopen(path, "a");
    if (log != NULL) {
        fprintf(log, "%s %d %d %u\n", fn, device, rc, capacity);
        fclose(log);
    }
}

static unsigned int parse_processes(const char *text, nvmlProcessInfo_t *out)
{
    unsigned int n = 0;
    while (*text != 0 && n < MAX_PROCESSES) {
        unsigned int pid = 0, gi = 0xFFFFFFFFu, ci = 0xFFFFFFFFu;
        unsigned long long bytes = 0;
        int read = sscanf(text, "%u:%llu:%u:%u", &pid, &bytes, &gi, &ci);
        if (read < 2) {
            break;
        }

        out[n].pid = pid;
        out[n].usedGpuMemory = bytes;
        out[n].gpuInstanceId = gi;
        out[n].computeInstanceId = ci;
        n++;
        const char *comma = strchr(text, ',');
        if (comma == NULL) {
            break;
        }

        text = comma + 1;
    }

    return n;
}

static void set_device_key(struct fake_device *d, const char *key, const char *value)
{
    if (strcmp(key, "uuid") == 0) {
        snprintf(d->uuid, sizeof d->uuid, "%s", value);
    } else if (strcmp(key, "name") == 0) {
        snprintf(d->name, sizeof d->name, "%s", value);
    } else if (strcmp(key, "util") == 0) {
        d->util = (unsigned int)strtoul(value, NULL, 10);
    } else if (strcmp(key, "mem_total") == 0) {
        d->mem_total = strtoull(value, NULL, 10);
    } else if (strcmp(key, "mem_used") == 0) {
        d->mem_used = strtoull(value, NULL, 10);
    } else if (strcmp(key, "power_mw") == 0) {
        d->power_mw = (unsigned int)strtoul(value, NULL, 10);
    } else if (strcmp(key, "energy_mj") == 0) {
        d->energy_mj = strtoull(value, NULL, 10);
    } else if (strcmp(key, "temp") == 0) {
        d->temp = (unsigned int)strtoul(value, NULL, 10);
    } else if (strcmp(key, "lost_after") == 0) {
        d->lost_after = atoi(value);
    } else if (strcmp(key, "compute_grows") == 0) {
        d->compute_grows = atoi(value);
    } else if (strcmp(key, "compute") == 0) {
        d->compute_count = parse_processes(value, d->compute);
    } else if (strcmp(key, "graphics") == 0) {
        d->graphics_count = parse_processes(value, d->graphics);
    } else if (strncmp(key, "rc.", 3) == 0) {
        for (int fn = 0; fn < FN_COUNT; fn++) {
            if (strcmp(key + 3, fn_names[fn]) == 0) {
                d->rc[fn] = atoi(value);
            }
        }
    }
}

static void load_script(void)
{
    char path[4200], line[1024];
    memset(devices, 0, sizeof devices);
    init_rc = 0;
    count_rc = 0;
    device_count = 0;
    find_directory();
    snprintf(path, sizeof path, "%s/script.txt", directory);
    FILE *script = fopen(path, "r");
    if (script == NULL) {
        return;
    }

    while (fgets(line, sizeof line, script) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        char *equals = strchr(line, '=');
        if (equals == NULL) {
            continue;
        }

        *equals = 0;
        const char *key = line, *value = equals + 1;
        if (strcmp(key, "init_rc") == 0) {
            init_rc = atoi(value);
        } else if (strcmp(key, "count_rc") == 0) {
            count_rc = atoi(value);
        } else if (strcmp(key, "count") == 0) {
            device_count = (unsigned int)strtoul(value, NULL, 10);
        } else if (key[0] == 'd' && key[1] >= '0' && key[1] < '0' + MAX_DEVICES && key[2] == '.') {
            set_device_key(&devices[key[1] - '0'], key + 3, value);
        }
    }

    fclose(script);
}

/* The scripted answer of fn for device, or -1 when the call should go on and fill in its figure. */
static int scripted(nvmlDevice_t device, int fn, int *index)
{
    *index = -1;
    if (!initialized) {
        return NVML_ERROR_UNINITIALIZED;
    }

    if (device < devices || device >= devices + MAX_DEVICES) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }

    *index = (int)(device - devices);
    if (fn == FN_UTIL) {
        device->readings++;
    }

    if (device->lost_after > 0 && device->readings > device->lost_after) {
        return NVML_ERROR_GPU_IS_LOST;
    }

    return device->rc[fn] != 0 ? device->rc[fn] : -1;
}

static int done(const char *fn, int index, int rc, unsigned int capacity)
{
    log_call(fn, index, rc, capacity);
    return rc;
}

int nvmlInit_v2(void)
{
    load_script();
    if (init_rc == 0) {
        initialized++;
    }

    return done("init", -1, init_rc, 0);
}

int nvmlShutdown(void)
{
    if (!initialized) {
        return done("shutdown", -1, NVML_ERROR_UNINITIALIZED, 0);
    }

    initialized--;
    return done("shutdown", -1, NVML_SUCCESS, 0);
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!initialized) {
        return done("count", -1, NVML_ERROR_UNINITIALIZED, 0);
    }

    if (count_rc != 0) {
        return done("count", -1, count_rc, 0);
    }

    *count = device_count;
    return done("count", -1, NVML_SUCCESS, 0);
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (!initialized) {
        return done("handle", (int)index, NVML_ERROR_UNINITIALIZED, 0);
    }

    if (index >= device_count || index >= MAX_DEVICES) {
        return done("handle", (int)index, NVML_ERROR_INVALID_ARGUMENT, 0);
    }

    if (devices[index].rc[FN_HANDLE] != 0) {
        return done("handle", (int)index, devices[index].rc[FN_HANDLE], 0);
    }

    *device = &devices[index];
    return done("handle", (int)index, NVML_SUCCESS, 0);
}

static int copy_string(const char *fn, int which, nvmlDevice_t device, const char *text, char *buffer, unsigned int length)
{
    int index, rc = scripted(device, which, &index);
    if (rc >= 0) {
        return done(fn, index, rc, length);
    }

    if (strlen(text) + 1 > length) {
        return done(fn, index, NVML_ERROR_INSUFFICIENT_SIZE, length);
    }

    strcpy(buffer, text);
    return done(fn, index, NVML_SUCCESS, length);
}

int nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    return copy_string("uuid", FN_UUID, device, device->uuid, uuid, length);
}

int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    return copy_string("name", FN_NAME, device, device->name, name, length);
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
    int index, rc = scripted(device, FN_UTIL, &index);
    if (rc >= 0) {
        return done("util", index, rc, 0);
    }

    utilization->gpu = device->util;
    utilization->memory = 99; /* memory-controller activity: never what the reader reports as memory use */
    return done("util", index, NVML_SUCCESS, 0);
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    int index, rc = scripted(device, FN_MEMORY, &index);
    if (rc >= 0) {
        return done("memory", index, rc, 0);
    }

    memory->total = device->mem_total;
    memory->used = device->mem_used;
    memory->free = device->mem_total - device->mem_used;
    return done("memory", index, NVML_SUCCESS, 0);
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    int index, rc = scripted(device, FN_POWER, &index);
    if (rc >= 0) {
        return done("power", index, rc, 0);
    }

    *power = device->power_mw;
    return done("power", index, NVML_SUCCESS, 0);
}

#ifndef FAKE_OLD_DRIVER
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    int index, rc = scripted(device, FN_ENERGY, &index);
    if (rc >= 0) {
        return done("energy", index, rc, 0);
    }

    *energy = device->energy_mj;
    return done("energy", index, NVML_SUCCESS, 0);
}
#endif

int nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp)
{
    int index, rc = scripted(device, FN_TEMP, &index);
    if (rc >= 0) {
        return done("temp", index, rc, 0);
    }

    if (sensor != 0) {
        return done("temp", index, NVML_ERROR_INVALID_ARGUMENT, 0);
    }

    *temp = device->temp;
    return done("temp", index, NVML_SUCCESS, 0);
}

/* NVML's contract: with *count smaller than the list, return INSUFFICIENT_SIZE and the size needed in *count. */
static int list_processes(const char *fn, int which, nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos)
{
    int index, rc = scripted(device, which, &index);
    unsigned int capacity = *count;
    if (rc >= 0) {
        return done(fn, index, rc, capacity);
    }

    const nvmlProcessInfo_t *list = which == FN_COMPUTE ? device->compute : device->graphics;
    unsigned int length = which == FN_COMPUTE ? device->compute_count : device->graphics_count;
    int grows = which == FN_COMPUTE && device->compute_grows;

    if (grows) {
        /* More processes start between every two calls than the buffer has room for. */
        *count = capacity + 100;
        return done(fn, index, NVML_ERROR_INSUFFICIENT_SIZE, capacity);
    }

    if (capacity < length) {
        *count = length;
        return done(fn, index, NVML_ERROR_INSUFFICIENT_SIZE, capacity);
    }

    if (length > 0 && infos == NULL) {
        return done(fn, index, NVML_ERROR_INVALID_ARGUMENT, capacity);
    }

    for (unsigned int i = 0; i < length; i++) {
        infos[i] = list[i];
    }

    *count = length;
    return done(fn, index, NVML_SUCCESS, capacity);
}

int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos)
{
    return list_processes("compute", FN_COMPUTE, device, count, infos);
}

#ifndef FAKE_OLD_DRIVER
int nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos)
{
    return list_processes("graphics", FN_GRAPHICS, device, count, infos);
}
#endif

/* Not NVML: the sizes and offset gcc gives the structs above, for the layout test. */
unsigned int fake_nvml_layout(int which)
{
    switch (which) {
    case 0: return (unsigned int)sizeof(nvmlUtilization_t);
    case 1: return (unsigned int)sizeof(nvmlMemory_t);
    case 2: return (unsigned int)sizeof(nvmlProcessInfo_t);
    case 3: return (unsigned int)__builtin_offsetof(nvmlProcessInfo_t, usedGpuMemory);
    default: return 0;
    }
}
