# Reference figures for ResourceReferenceTests, from psutil (Debian package python3-psutil), over an interval the
# test marks with "start" and "end" on stdin, so both sides measure the same interval.
import sys

try:
    import psutil
except ImportError:
    sys.exit(3)

process = psutil.Process(int(sys.argv[1]))
print("ready", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "start":
        psutil.cpu_percent(None)
        process.cpu_percent(None)
        print("ok", flush=True)
    elif command == "end":
        system_cpu = psutil.cpu_percent(None)
        process_cpu = process.cpu_percent(None)
        memory = psutil.virtual_memory()
        print(f"{system_cpu} {process_cpu} {memory.percent} {process.memory_info().rss}", flush=True)
    else:
        break
