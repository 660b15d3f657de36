import os
n=0
try:
    for i in range(500):
        if os.fork()==0:
            import time; time.sleep(100); os._exit(0)
        n+=1
except Exception as e: print("fork stopped at", n, e)
