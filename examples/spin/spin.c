// Busy-works for the number of seconds given as its argument, printing a line a
// second: a job that takes a while, for following logs and for the demo's stalled
// provider.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  int seconds = argc > 1 ? atoi(argv[1]) : 3;
  volatile unsigned long long x = 0;
  for (int s = 0; s < seconds; s++) {
    time_t start = time(NULL);
    while (time(NULL) == start) x += 1;
    printf("working: %d/%d s\n", s + 1, seconds);
    fflush(stdout);
  }
  printf("done after %d s\n", seconds);
  return 0;
}
