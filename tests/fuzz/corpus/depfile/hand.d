a.o b.o: x.c \
  y\#1.h \
  $$z.h | order.h
# comment

c\\\ d.o: e\\ f
