mc.o: m.c a\ b.h x.h
