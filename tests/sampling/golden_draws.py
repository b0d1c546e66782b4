#!/usr/bin/env python3
"""Recomputes the tokens of Sampler.SameSeedSameTokensExactly with an independent NumPy
implementation of the draw (xoshiro256** seeded by splitmix64, float32 weights, nucleus over the
sorted order, categorical walk in id order). Prints the token list."""
import numpy as np
M=(1<<64)-1
class Rng:
    def __init__(self, seed):
        x=seed; self.s=[]
        for _ in range(4):
            x=(x+0x9e3779b97f4a7c15)&M; z=x
            z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M
            z=((z^(z>>27))*0x94d049bb133111eb)&M
            self.s.append(z^(z>>31))
    def next(self):
        s=self.s; rotl=lambda v,k: ((v<<k)|(v>>(64-k)))&M
        r=(rotl((s[1]*5)&M,7)*9)&M; t=(s[1]<<17)&M
        s[2]^=s[0]; s[3]^=s[1]; s[1]^=s[2]; s[0]^=s[3]; s[2]^=t; s[3]=rotl(s[3],45)
        return r
    def uniform(self): return (self.next()>>11)*2.0**-53
g=Rng(11)
base=np.array([g.uniform()*12.0-6.0 for _ in range(1000)],dtype=np.float32)
r=Rng(1234); out=[]
for i in range(12):
    x=base.copy(); x[i*7]=np.float32(x[i*7]+np.float32(4.0))
    m=x.max(); inv=np.float32(1.0)/np.float32(0.9)
    w=np.exp((x-m)*inv).astype(np.float32)
    order=sorted(range(1000), key=lambda j:(-x[j], j))
    z=float(np.sum(w.astype(np.float64)))
    target=float(np.float32(0.95))*z
    keep=[]; before=0.0
    for j in order:
        if keep and before>=target: break
        keep.append(j); before+=float(w[j])
    keep.sort()
    total=sum(float(w[j]) for j in keep)
    u=r.uniform()*total; cum=0.0; pick=keep[-1]
    for j in keep:
        cum+=float(w[j])
        if u<cum: pick=j; break
    out.append(pick)
print(out)
